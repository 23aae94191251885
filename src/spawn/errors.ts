/**
 * Errors of the spawn lifecycle: each has a stable `code`, an HTTP `status`
 * and a message that says what happened and what to do.
 */
import { ExplainedError } from '../explained-error.ts'

export class SpawnError extends ExplainedError {
  /** The last lines of the server's log, when there is one. */
  readonly logTail: string[]

  constructor(code: string, status: number, message: string, options?: ErrorOptions & { logTail?: string[] }) {
    super(code, status, message, options)
    this.logTail = options?.logTail ?? []
  }
}

/** Too many servers starting at once (HTTP 429 with Retry-After). */
export class SpawnLimitError extends SpawnError {
  readonly retryAfterSeconds: number

  constructor(limit: number, retryAfterSeconds: number) {
    super(
      'SPAWN_LIMIT',
      429,
      `${limit} servers are starting right now, the most allowed at once — try again in ${retryAfterSeconds} s (an admin can raise the concurrent spawn limit)`,
    )
    this.name = 'SpawnLimitError'
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/** A bad request to the lifecycle: invalid user/server name, named servers off or over the limit, bad options. */
export class ServerRequestError extends SpawnError {
  constructor(code: string, message: string) {
    super(code, 400, message)
    this.name = 'ServerRequestError'
  }
}

/** The spawner's configuration cannot work (e.g. a root hub with the process spawner). */
export class SpawnerConfigError extends SpawnError {
  constructor(message: string) {
    super('SPAWNER_CONFIG', 500, message)
    this.name = 'SpawnerConfigError'
  }
}
