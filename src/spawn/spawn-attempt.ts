/**
 * One start of one server, from launch to a route: spawner.start → record the
 * state (so a crash from here on leaves nothing unmanaged) → wait until it
 * answers → add the route. Any failure stops what was started, removes the
 * record and the route, and becomes a SpawnError that says why, with the
 * last lines of the server's log.
 */
import { createHash } from 'node:crypto'
import type { RouteData, RouteWriter } from './route-writer.ts'
import type { Store } from '../store/store.ts'
import type { Json, SpawnContext, SpawnResult, Spawner } from './spawner.ts'
import type { ServerOp, ServerRecord, ServersState } from './server-store.ts'
import type { ProgressFeed } from './progress-feed.ts'
import { SpawnError } from './errors.ts'
import { readLogTail } from './log-tail.ts'
import { ServerGoneError, waitReady } from './readiness.ts'

export class StartTimeoutError extends Error {
  constructor(ms: number) {
    super(`start timed out after ${Math.round(ms / 1000)} s`)
    this.name = 'StartTimeoutError'
  }
}

export class StartCancelledError extends Error {
  constructor() {
    super('start cancelled by a stop request')
    this.name = 'StartCancelledError'
  }
}

export interface AttemptDeps {
  spawner: Spawner
  store: Store<ServersState, ServerOp>
  routes: RouteWriter
  logTailLines: number
  startTimeoutMs: number
  now: () => number
}

export interface AttemptRequest {
  key: string
  ctx: SpawnContext
  feed: ProgressFeed
}

/** The route JupyterHub would add, plus the token the proxy must inject. */
export function routeDataFor(record: ServerRecord): RouteData {
  return {
    target: record.url,
    jupyterhub: true,
    user: record.user,
    server_name: record.name,
    ...(record.authToken === undefined ? {} : { authToken: record.authToken }),
  }
}

function withTail(message: string, tail: string[]): string {
  return tail.length === 0 ? `${message} (its log is empty)` : `${message} — last lines of its log:\n  ${tail.join('\n  ')}`
}

/** Turns whatever went wrong into a SpawnError a person can act on. */
function explain(error: unknown, ctx: SpawnContext, deps: AttemptDeps, result: SpawnResult | undefined, tail: string[]): SpawnError {
  const where = result === undefined ? ctx.baseUrl : `${ctx.baseUrl} (${result.url})`
  const options = { cause: error, logTail: tail }
  if (error instanceof StartTimeoutError) {
    return new SpawnError('SPAWN_TIMEOUT', 500, withTail(
      `server ${where} did not answer within ${Math.round(deps.startTimeoutMs / 1000)} s, so it was stopped — it may be slow to start (raise the start timeout) or not listening on the port it was given; log file ${ctx.logFile}`,
      tail), options)
  }
  if (error instanceof StartCancelledError) return new SpawnError('SPAWN_CANCELLED', 409, `start of ${ctx.baseUrl} was cancelled because the server was stopped`, options)
  if (error instanceof ServerGoneError) {
    const why = result === undefined ? undefined : deps.spawner.describeExit?.(result.state)
    return new SpawnError('SERVER_EXITED', 500, withTail(
      `server ${where} stopped before it answered${why === undefined ? '' : ` (it ${why})`}; log file ${ctx.logFile}`, tail), options)
  }
  if (error instanceof SpawnError) return new SpawnError(error.code, error.status, withTail(error.message, tail), options)
  return new SpawnError('SPAWN_FAILED', 500, withTail(`server ${where} could not be started: ${(error as Error).message ?? String(error)}`, tail), options)
}

/** Rejects when `signal` aborts; `start` keeps running, so its result is handled by the caller. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

export async function attemptStart(deps: AttemptDeps, request: AttemptRequest): Promise<ServerRecord> {
  const { ctx, feed, key } = request
  const { spawner, store, routes } = deps
  let result: SpawnResult | undefined
  const starting = spawner.start(ctx, (p) => feed.push(p))
  try {
    result = await abortable(starting, ctx.signal)
    const apiToken = ctx.env.JUPYTERHUB_API_TOKEN
    const record: ServerRecord = {
      user: ctx.user,
      name: ctx.serverName,
      spawner: spawner.name,
      state: result.state,
      url: result.url,
      started: deps.now(),
      ready: false,
      userOptions: { ...ctx.options },
      ...(result.token === undefined ? {} : { authToken: result.token }),
      ...(apiToken === undefined ? {} : { apiTokenHash: createHash('sha256').update(apiToken).digest('hex') }),
    }
    await store.commit({ op: 'put', key, record })
    const state = result.state
    await waitReady(result.url.replace(/\/$/, '') + ctx.baseUrl, {
      headers: result.token === undefined ? {} : { authorization: `token ${result.token}` },
      signal: ctx.signal,
      isAlive: async () => (await spawner.poll(state)) === 'running',
    })
    feed.push({ progress: 90, message: 'Server answered; adding its route' })
    await routes.set(ctx.baseUrl, routeDataFor(record))
    await store.commit({ op: 'ready', key })
    feed.push({ progress: 100, message: 'Server ready', ready: true, url: ctx.baseUrl })
    return store.state.servers[key]!
  } catch (error) {
    // A start that finishes after a timeout or cancel must not leave a server behind.
    if (result === undefined) result = await settleWithin(starting, deps.spawner)
    await cleanUp(deps, key, ctx.baseUrl, result?.state)
    const tail = await readLogTail(ctx.logFile, deps.logTailLines)
    const failure = explain(error, ctx, deps, result, tail)
    feed.push({ progress: 100, message: failure.message, failed: true, logTail: tail })
    throw failure
  }
}

/** The start's result if it comes within 30 s; one that comes later is stopped when it does. */
async function settleWithin(starting: Promise<SpawnResult>, spawner: Spawner): Promise<SpawnResult | undefined> {
  let late = false
  const timer = new Promise<undefined>((resolve) => setTimeout(() => { late = true; resolve(undefined) }, 30_000).unref())
  const settled = await Promise.race([starting.catch(() => undefined), timer])
  if (late) starting.then((r) => spawner.stop(r.state), () => {}).catch(() => {})
  return settled
}

async function cleanUp(deps: AttemptDeps, key: string, baseUrl: string, state: Json | undefined): Promise<void> {
  await deps.routes.delete(baseUrl).catch(() => {})
  if (state !== undefined) await deps.spawner.stop(state).catch(() => {})
  if (Object.hasOwn(deps.store.state.servers, key)) await deps.store.commit({ op: 'delete', key }).catch(() => {})
}
