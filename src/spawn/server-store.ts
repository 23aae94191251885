/**
 * The node-local record of each user server this node runs, in the durable
 * store 'servers' of the data dir: enough to poll, stop and re-route it after
 * a hub restart. Records are node-local (never replicated): the state names
 * local pids, ports and units.
 */
import { openStore } from '../store/durable-store.ts'
import type { Store } from '../store/store.ts'
import type { Json } from './spawner.ts'

export interface ServerRecord {
  user: string
  /** '' = default server. */
  name: string
  /** Name of the spawner that started it. */
  spawner: string
  /** The spawner's state (pid, port, unit …). */
  state: Json
  /** Route target, e.g. 'http://127.0.0.1:41234'. */
  url: string
  /** Milliseconds since the epoch. */
  started: number
  /** False between launch and the first good answer; a restart finds out which it is. */
  ready: boolean
  userOptions: Record<string, Json>
  /** The token the proxy injects (apps without JupyterHub OAuth). Kept to restore the route; the file is 0600. */
  authToken?: string
  /** SHA-256 (hex) of the server's JUPYTERHUB_API_TOKEN, so the hub can tell which server a token belongs to. */
  apiTokenHash?: string
  /** Last activity the server reported itself (ms). Proxy traffic is on the route. */
  lastActivity?: number
}

/**
 * A named server the user has started at least once. It stays known while
 * stopped (listed, counted toward the per-user limit, its URL leads to its
 * spawn page) until it is removed explicitly or its user is deleted — as
 * JupyterHub keeps named servers. The default server needs no such record.
 */
export interface KnownNamedServer {
  user: string
  name: string
  /** The options of its last start (the options form shows them again; a start without options reuses them). */
  userOptions: Record<string, Json>
  /** Its latest activity when it last stopped (ms). */
  lastActivity?: number
  /** `created` of the user it belongs to: a user deleted and created again does not inherit it. */
  userCreated?: number
}

/** The default server's options of its last start (named servers keep theirs in KnownNamedServer). */
export interface LastDefaultOptions {
  userOptions: Record<string, Json>
  /** `created` of the user: a user deleted and created again does not inherit them. */
  userCreated?: number
}

export interface ServersState {
  servers: Record<string, ServerRecord>
  /** Absent in data dirs written before named servers were kept: read with knownNamedOf(). */
  named?: Record<string, KnownNamedServer>
  /** Absent in data dirs written before options were reused: read with lastDefaultOptionsOf(). */
  defaultOptions?: Record<string, LastDefaultOptions>
}

export type ServerOp =
  | { op: 'put'; key: string; record: ServerRecord }
  | { op: 'ready'; key: string }
  | { op: 'delete'; key: string }
  | { op: 'activity'; key: string; at: number }
  | { op: 'named.put'; key: string; server: KnownNamedServer }
  | { op: 'named.delete'; key: string }
  | { op: 'defaults.put'; key: string; entry: LastDefaultOptions }
  | { op: 'defaults.delete'; key: string }

export function emptyServersState(): ServersState {
  return { servers: emptyMap(), named: emptyMap() }
}

/** What the readers below return for a map an older data dir does not have. */
const NONE: Readonly<Record<string, never>> = Object.freeze(Object.create(null) as Record<string, never>)

/** The known named servers (none for data dirs written before they were kept). Read only. */
export function knownNamedOf(state: ServersState): Readonly<Record<string, KnownNamedServer>> {
  return state.named ?? NONE
}

/** The default servers' last options, by server key. Read only. */
export function lastDefaultOptionsOf(state: ServersState): Readonly<Record<string, LastDefaultOptions>> {
  return state.defaultOptions ?? NONE
}

/** Sets `key` to a copy of `value` as an ordinary own entry, whatever the key (even '__proto__'). */
function putOwn<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, { value: structuredClone(value), writable: true, enumerable: true, configurable: true })
}

function emptyMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}

export function serversReducer(state: ServersState, op: ServerOp): void {
  const existing = Object.hasOwn(state.servers, op.key) ? state.servers[op.key] : undefined
  switch (op.op) {
    case 'put':
      putOwn(state.servers, op.key, op.record)
      return
    case 'ready':
      if (existing !== undefined) existing.ready = true
      return
    case 'delete':
      delete state.servers[op.key]
      return
    case 'activity':
      if (existing !== undefined && op.at > (existing.lastActivity ?? 0)) existing.lastActivity = op.at
      return
    case 'named.put':
      putOwn((state.named ??= emptyMap()), op.key, op.server)
      return
    case 'named.delete':
      if (state.named !== undefined) delete state.named[op.key]
      return
    case 'defaults.put':
      putOwn((state.defaultOptions ??= emptyMap()), op.key, op.entry)
      return
    case 'defaults.delete':
      if (state.defaultOptions !== undefined) delete state.defaultOptions[op.key]
      return
  }
}

/** Opens `<dataDir>/servers.json` (+ journal). Fails with StoreLockedError if another process has it. */
export function openServerStore(dataDir: string, onWarning?: (message: string) => void): Promise<Store<ServersState, ServerOp>> {
  return openStore<ServersState, ServerOp>({
    dir: dataDir,
    name: 'servers',
    initial: emptyServersState,
    apply: serversReducer,
    ...(onWarning === undefined ? {} : { onWarning }),
  })
}
