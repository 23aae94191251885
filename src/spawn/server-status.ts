/**
 * The ServerManager's public shapes (lifecycle.ts): its options, the events
 * it reports, and a server as the hub's pages and REST API show it — built
 * here from what the manager knows of it (describeServer).
 */
import type { RouteWriter } from './route-writer.ts'
import type { Json, Spawner } from './spawner.ts'
import type { ServerEnvProvider } from './server-env.ts'
import type { KnownNamedServer, ServerRecord } from './server-store.ts'
import { serverBaseUrl } from './server-names.ts'

/** What pino's Logger offers, so any logger with these methods fits. */
export interface SpawnLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export type ServerEvent =
  | { type: 'ready' | 'stopped' | 'died' | 'adopted'; user: string; server: string }
  | { type: 'failed'; user: string; server: string; code: string; message: string }

export interface ServerManagerOptions {
  dataDir: string
  routes: RouteWriter
  spawner: Spawner
  /** The hub's part of the server environment (API token, URLs); default: user and prefix only. */
  serverEnv?: ServerEnvProvider
  /** Working directory template; {data_dir} and {user} are filled. Default '{data_dir}/users/{user}'. */
  workDir?: string
  /** Launch + readiness must finish within this (default 90 000 ms). */
  startTimeoutMs?: number
  /** Most starts in progress at once on this node; 0 = no limit (default 100). */
  concurrentSpawnLimit?: number
  allowNamedServers?: boolean
  /** Named servers per user; 0 = no limit (default 0). */
  namedServerLimitPerUser?: number
  /** Interval of the loop that notices dead servers (default 30 000 ms; 0 = no loop). */
  pollIntervalMs?: number
  /** Log lines shown with a failure (default 20). */
  logTailLines?: number
  /**
   * When `user` was created (undefined: there is no such user). Stopped named
   * servers of a deleted user — or of an earlier user of the same name — are
   * forgotten. Without it, named servers are kept until removed.
   */
  userCreated?: (user: string) => number | undefined
  log?: SpawnLogger
  onEvent?: (event: ServerEvent) => void
  now?: () => number
}

/** A server as the hub's pages and REST API show it. */
export interface ServerStatus {
  user: string
  /** '' = default server. */
  name: string
  /** '/user/alice/' */
  path: string
  ready: boolean
  pending: 'spawn' | 'stop' | null
  /** ms since the epoch. */
  started: number | undefined
  lastActivity: number | undefined
  userOptions: Record<string, Json>
  /** A named server that is known but not running (JupyterHub's `stopped`); its URL leads to its spawn page. */
  stopped?: boolean
}

export interface ListOptions {
  /** Also known named servers that are stopped (JupyterHub's include_stopped_servers). */
  includeStopped?: boolean
}

/** What the manager knows of one server, for describeServer. */
export interface ServerFacts {
  /** Its persisted record: launched (ready or not). */
  record: ServerRecord | undefined
  /** A start is under way. */
  starting: boolean
  /** A stop is under way. */
  stopping: boolean
  /** A named server that stays known while stopped (looked up only when there is no record and no start). */
  known: KnownNamedServer | undefined
  /** Its latest activity (proxy traffic, own reports, start), when it has a record. */
  lastActivity: number | undefined
}

/** `key` ('user/server') as the pages and API show it; undefined when it is not running, starting or known. */
export function describeServer(key: string, facts: ServerFacts): ServerStatus | undefined {
  const slash = key.indexOf('/')
  const user = key.slice(0, slash)
  const name = key.slice(slash + 1)
  const path = serverBaseUrl(user, name)
  const { record, starting, stopping } = facts
  if (record === undefined && !starting) {
    if (facts.known === undefined) return undefined
    return {
      user, name, path, ready: false, pending: stopping ? 'stop' : null, started: undefined,
      lastActivity: facts.known.lastActivity, userOptions: facts.known.userOptions, stopped: !stopping,
    }
  }
  return {
    user,
    name,
    path,
    ready: record?.ready === true && !starting,
    pending: stopping ? 'stop' : starting ? 'spawn' : null,
    started: record?.started,
    lastActivity: facts.lastActivity,
    userOptions: record?.userOptions ?? {},
  }
}
