/**
 * Who may log in to a user server through the hub (the OAuth client the
 * server registered when it started, see server-tokens.ts): its owner, at
 * once; someone else who holds `access:servers` on it (an admin), after
 * saying yes on a consent page; nobody else. Pure decisions over records.
 */
import type { HubState, OAuthClientRecord, UserRecord } from '../../auth/records.ts'
import { oauthClientsOf } from '../../auth/records.ts'
import { hasScope, type ScopeSet } from '../../auth/scopes.ts'

export function findClient(state: HubState, id: unknown): OAuthClientRecord | undefined {
  if (typeof id !== 'string') return undefined
  const clients = oauthClientsOf(state)
  return Object.hasOwn(clients, id) ? clients[id] : undefined
}

/** The path the client's server is served at ('/user/alice/'). */
export function clientServerPath(client: OAuthClientRecord): string {
  return client.server === '' ? `/user/${client.user}/` : `/user/${client.user}/${client.server}/`
}

export type ClientAccess = 'owner' | 'consent' | 'forbidden'

/** Whether `user` (with its expanded `scopes`) may log in to `client`'s server, and how. */
export function clientAccess(client: OAuthClientRecord, user: UserRecord, scopes: ScopeSet): ClientAccess {
  if (user.name === client.user) return 'owner'
  return hasScope(scopes, 'access:servers', { user: client.user, server: `${client.user}/${client.server}` }) ? 'consent' : 'forbidden'
}
