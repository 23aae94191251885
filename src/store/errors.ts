/**
 * Errors of the durable store, each with a stable `code` and a message that
 * says which file or folder is affected and what a person can do about it.
 */
import { ExplainedError } from '../explained-error.ts'

/** A snapshot or journal file that cannot be read back (corrupt, truncated, wrong shape). */
export class StateFileError extends ExplainedError {
  /** The file that could not be read. */
  readonly file: string

  constructor(file: string, message: string, options?: ErrorOptions) {
    super('STATE_FILE_CORRUPT', 500, message, options)
    this.file = file
  }
}

/** Another live process holds the store's lock file. */
export class StoreLockedError extends ExplainedError {
  readonly dir: string
  /** The holder's pid, or undefined while its lock file is still being written. */
  readonly pid: number | undefined

  constructor(dir: string, pid: number | undefined) {
    const holder = pid === undefined ? 'another process (starting up)' : `process ${pid}`
    super('STORE_LOCKED', 500, `data dir ${dir} is in use by ${holder} — stop it or use another --data-dir`)
    this.dir = dir
    this.pid = pid
  }
}

/**
 * A journal write or fsync failed (disk full, I/O error). What reached the disk
 * is unknown, so the store refuses further changes until it is reopened.
 */
export class StoreWriteError extends ExplainedError {
  constructor(file: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super('STORE_WRITE_FAILED', 500, `could not write ${file}: ${reason} — free disk space or fix the data dir, then restart (changes since the last successful write were not saved)`, { cause })
  }
}

/** commit() after close(). */
export class StoreClosedError extends ExplainedError {
  constructor(name: string) {
    super('STORE_CLOSED', 503, `store '${name}' is closed — the server is shutting down`)
  }
}
