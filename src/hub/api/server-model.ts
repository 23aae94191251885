/**
 * The server model of JupyterHub's REST API (REFERENCE §3) from the
 * lifecycle's ServerStatus, and the server-related fields of the user model
 * (`servers`, `server`, `pending`, `last_activity`).
 */
import type { ServerStatus } from '../../spawn/lifecycle.ts'
import { isoOrNull } from './models.ts'

/** '/users/alice/server' or '/users/alice/servers/lab' (below /hub/api). */
export function serverApiPath(user: string, server: string): string {
  return server === '' ? `/users/${encodeURIComponent(user)}/server` : `/users/${encodeURIComponent(user)}/servers/${encodeURIComponent(server)}`
}

export function serverModel(s: ServerStatus): Record<string, unknown> {
  return {
    name: s.name,
    ready: s.ready,
    pending: s.pending,
    stopped: !s.ready && s.pending === null,
    url: s.path,
    started: isoOrNull(s.started),
    last_activity: isoOrNull(s.lastActivity),
    progress_url: `/hub/api${serverApiPath(s.user, s.name)}/progress`,
    user_options: s.userOptions,
    state: {},
  }
}

/** The user model's server fields for a user whose servers are `servers`. */
export function userServerFields(servers: readonly ServerStatus[], userLastActivity: number | undefined): Record<string, unknown> {
  const models: Record<string, unknown> = {}
  let last = userLastActivity
  let defaultServer: ServerStatus | undefined
  for (const s of servers) {
    models[s.name] = serverModel(s)
    if (s.name === '') defaultServer = s
    if (s.lastActivity !== undefined && (last === undefined || s.lastActivity > last)) last = s.lastActivity
  }
  return {
    servers: models,
    server: defaultServer?.ready === true ? defaultServer.path : null,
    pending: defaultServer?.pending ?? null,
    last_activity: isoOrNull(last),
  }
}

/** Every server, grouped by user (one pass, for lists of many users). */
export function serversByUser(all: readonly ServerStatus[]): Map<string, ServerStatus[]> {
  const out = new Map<string, ServerStatus[]>()
  for (const s of all) {
    const list = out.get(s.user)
    if (list === undefined) out.set(s.user, [s])
    else list.push(s)
  }
  return out
}
