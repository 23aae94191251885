/**
 * Routes: the route table kept in memory (trie) and in the durable store.
 *
 * `set` and `delete` resolve once the change is durable, so the CHP API can
 * answer only after that. Activity is recorded in memory on the hot path
 * (`touch`) and flushed as one journal entry per interval — never a disk
 * write per request.
 */
import { RouteTable, type RouteMatch } from './route-table.ts'
import { normalizeRoutePath } from './route-path.ts'
import type { Store } from '../store/store.ts'
import { ExplainedError } from '../explained-error.ts'

/** What an API client stores for a route: a target plus any other keys (JupyterHub adds user, server_name…). */
export interface RouteData {
  target: string
  [key: string]: unknown
}

interface RouteRecord {
  data: RouteData
  /** Milliseconds since the epoch. */
  lastActivity: number
}

export interface RouteState {
  routes: Record<string, RouteRecord>
}

export type RouteOp =
  | { op: 'set'; path: string; data: RouteData; at: number }
  | { op: 'delete'; path: string }
  | { op: 'activity'; at: Record<string, number> }

/** A route as the proxy uses it: the target parsed once, activity mutable. */
export interface Route {
  readonly prefix: string
  readonly data: RouteData
  /** e.g. "http://127.0.0.1:8888" */
  readonly origin: string
  /** Target URL's path without trailing "/" ("" for none), prepended when prependPath is on. */
  readonly targetPath: string
  readonly protocol: 'http:' | 'https:'
  /**
   * `token <authToken>` when the route's data carries an `authToken`: servers
   * that don't speak JupyterHub's OAuth (plain jupyter-lab, the demo) get it
   * on every forwarded request instead of whatever the client sent, so nobody
   * reaches their port without going through the proxy's own checks.
   */
  readonly authorization: string | undefined
  readonly record: RouteRecord
  /** Set while an activity change waits for the next flush. */
  dirty: boolean
}

export class RouteTargetError extends ExplainedError {
  constructor(message: string) {
    super('BAD_TARGET', 400, message)
  }
}

/** Parses and checks a target: it must be an absolute http(s) URL. */
export function parseTarget(target: unknown): URL {
  if (typeof target !== 'string' || target.length === 0) {
    throw new RouteTargetError(`route target must be a non-empty string URL, got ${JSON.stringify(target) ?? 'nothing'}`)
  }
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new RouteTargetError(`route target must be an absolute http(s) URL like 'http://127.0.0.1:8888', got '${target}'`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RouteTargetError(`route target must use http or https, got '${url.protocol.slice(0, -1)}' in '${target}'`)
  }
  return url
}

/**
 * The target Routes.set() has just checked, so the reducer that runs right
 * after it (inside the same commit) does not parse the same string again.
 */
let lastChecked: { target: string; url: URL } | undefined

function toRoute(prefix: string, record: RouteRecord): Route {
  const target = record.data.target
  const url = lastChecked !== undefined && lastChecked.target === target ? lastChecked.url : parseTarget(target)
  lastChecked = undefined
  return {
    prefix,
    data: record.data,
    origin: url.origin,
    targetPath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    protocol: url.protocol as 'http:' | 'https:',
    authorization: typeof record.data.authToken === 'string' && record.data.authToken !== '' ? `token ${record.data.authToken}` : undefined,
    record,
    dirty: false,
  }
}

export const emptyRouteState = (): RouteState => ({ routes: Object.create(null) as Record<string, RouteRecord> })

/**
 * Builds the store's `apply` for routes; it also keeps `table` in step, on
 * live changes and on journal replay alike.
 */
export function routeReducer(table: RouteTable<Route>): (state: RouteState, op: RouteOp) => void {
  return (state, op) => {
    switch (op.op) {
      case 'set': {
        const record: RouteRecord = { data: op.data, lastActivity: op.at }
        state.routes[op.path] = record
        table.set(op.path, toRoute(op.path, record))
        break
      }
      case 'delete':
        delete state.routes[op.path]
        table.delete(op.path)
        break
      case 'activity':
        for (const [path, at] of Object.entries(op.at)) {
          const record = state.routes[path]
          if (record !== undefined && at > record.lastActivity) record.lastActivity = at
        }
        break
    }
  }
}

/** Rebuilds the table from a loaded snapshot (the reducer handles what the journal replays). */
export function fillTable(table: RouteTable<Route>, state: RouteState): void {
  table.clear()
  for (const [path, record] of Object.entries(state.routes)) table.set(path, toRoute(path, record))
}

export class Routes {
  readonly table: RouteTable<Route>
  readonly #store: Store<RouteState, RouteOp>
  #dirty: Route[] = []
  readonly #now: () => number

  constructor(table: RouteTable<Route>, store: Store<RouteState, RouteOp>, now: () => number = Date.now) {
    this.table = table
    this.#store = store
    this.#now = now
  }

  get size(): number {
    return this.table.size
  }

  /** Adds or replaces a route; resolves once durable. Throws RouteTargetError on a bad target. */
  async set(rawPath: string, data: RouteData): Promise<void> {
    lastChecked = { target: data.target, url: parseTarget(data.target) }
    await this.#store.commit({ op: 'set', path: normalizeRoutePath(rawPath), data, at: this.#now() })
  }

  /** Removes a route; resolves (true) once durable, or false when there was none. */
  async delete(rawPath: string): Promise<boolean> {
    const path = normalizeRoutePath(rawPath)
    if (this.table.getExact(path) === undefined) return false
    await this.#store.commit({ op: 'delete', path })
    return true
  }

  get(rawPath: string): Route | undefined {
    return this.table.getExact(normalizeRoutePath(rawPath))
  }

  /** Longest-prefix match of a request key (see requestRouteKey). */
  match(key: string): RouteMatch<Route> | undefined {
    return this.table.match(key)
  }

  /** Records traffic on a route: memory only, flushed by flushActivity(). */
  touch(route: Route): void {
    route.record.lastActivity = this.#now()
    if (!route.dirty) {
      route.dirty = true
      this.#dirty.push(route)
    }
  }

  /** Writes recorded activity as one journal entry. Call on an interval and at shutdown. */
  async flushActivity(): Promise<void> {
    if (this.#dirty.length === 0) return
    const at: Record<string, number> = {}
    for (const route of this.#dirty) {
      route.dirty = false
      // A route deleted since its last touch is skipped by the reducer.
      at[route.prefix] = route.record.lastActivity
    }
    this.#dirty = []
    await this.#store.commit({ op: 'activity', at })
  }

  /** Every route with its data and ISO last_activity, as CHP's GET /api/routes shows it. */
  *list(): IterableIterator<[string, RouteData & { last_activity: string }]> {
    for (const [path, route] of this.table.entries()) {
      yield [path, { ...route.data, last_activity: new Date(route.record.lastActivity).toISOString() }]
    }
  }
}
