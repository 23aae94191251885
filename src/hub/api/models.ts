/**
 * The JSON the API answers with, in JupyterHub's shapes (REFERENCE.md §3):
 * the user model, and the identity model of GET /hub/api/user. Dates are
 * ISO-8601 UTC with milliseconds and a Z, or null.
 */
import type { UserRecord } from '../../auth/records.ts'
import type { Identity } from '../identity.ts'
import { hasScope } from '../../auth/scopes.ts'
import type { ServerStatus } from '../../spawn/lifecycle.ts'
import { userServerFields } from './server-model.ts'

export function isoOrNull(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString()
}

/** The full user model without servers (`servers` empty, `server`/`pending` null); see userModelWithServers. */
export function userModel(user: UserRecord): Record<string, unknown> {
  return {
    kind: 'user',
    name: user.name,
    admin: user.admin,
    roles: user.admin ? ['admin', 'user'] : ['user'],
    groups: [...user.groups],
    created: isoOrNull(user.created),
    last_activity: isoOrNull(user.lastActivity),
    server: null,
    servers: {},
    pending: null,
  }
}

/** The full user model with `servers` (the user's ServerStatus list): server models, pending state, latest activity. */
export function userModelWithServers(user: UserRecord, servers: readonly ServerStatus[] | undefined): Record<string, unknown> {
  const model = userModel(user)
  return servers === undefined ? model : Object.assign(model, userServerFields(servers, user.lastActivity))
}

/**
 * The user model as much as `scopes` may see: the whole model with
 * `read:users` on that user; else, field by field as JupyterHub's access
 * map does, the name plus `groups` (read:users:groups), `last_activity`
 * (read:users:activity), `roles`/`admin` (read:roles:users) and `servers`
 * (read:servers) — what jupyterhub-idle-culler's token sees. (`list:users`
 * alone shows the name only; JupyterHub adds `admin` there.)
 */
export function visibleUserModel(user: UserRecord, scopes: ReadonlySet<string>, servers?: readonly ServerStatus[]): Record<string, unknown> {
  const target = { user: user.name, groups: user.groups }
  const withServers = servers !== undefined && hasScope(scopes, 'read:servers', target)
  if (hasScope(scopes, 'read:users', target)) {
    // Servers only with read:servers on this user, as in JupyterHub.
    return userModelWithServers(user, withServers ? servers : undefined)
  }
  const model: Record<string, unknown> = { kind: 'user', name: user.name }
  if (hasScope(scopes, 'read:users:groups', target)) model.groups = [...user.groups]
  if (hasScope(scopes, 'read:roles:users', target)) Object.assign(model, { admin: user.admin, roles: user.admin ? ['admin', 'user'] : ['user'] })
  const fields = servers === undefined ? undefined : userServerFields(servers, user.lastActivity)
  if (hasScope(scopes, 'read:users:activity', target)) model.last_activity = fields?.last_activity ?? isoOrNull(user.lastActivity)
  if (withServers && fields !== undefined) model.servers = fields.servers
  return model
}

/** GET /hub/api/user: who the caller is and what it may do (jupyterhub-singleuser checks `scopes`). */
export function identityModel(who: Identity, user: UserRecord | undefined): Record<string, unknown> {
  const base = user === undefined ? { kind: 'service', name: who.name, admin: who.admin } : userModel(user)
  return { ...base, scopes: [...who.scopes].sort(), session_id: who.sessionId ?? null }
}
