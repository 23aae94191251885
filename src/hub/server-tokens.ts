/**
 * The hub's side of a user server's credentials (REFERENCE §2): when a
 * server starts, the hub mints its API token (kind 'server', the `server`
 * role's scopes: report activity, and nothing but access to itself) and
 * registers it as an OAuth client whose secret is that token; when it stops,
 * both go, together with every OAuth access token issued to that client.
 *
 * ServerManager takes `serverEnvProvider(...)` as its `serverEnv` option;
 * the hub calls `revokeServerTokens` on the manager's 'stopped' and 'died' events.
 */
import type { HubContext } from './context.ts'
import type { OAuthClientRecord } from '../auth/records.ts'
import { oauthClientsOf } from '../auth/records.ts'
import { createToken } from '../auth/tokens.ts'
import { roleScopes } from '../auth/scopes.ts'
import { jupyterhubEnv, type ServerEnvProvider } from '../spawn/server-env.ts'

/** JupyterHub's client id for a server: 'jupyterhub-user-<name>' ('-<server>' for a named one). */
export function serverClientId(user: string, server: string): string {
  return server === '' ? `jupyterhub-user-${user}` : `jupyterhub-user-${user}-${server}`
}

/** The scopes that let someone use `user`'s server `server` — what its OAuth tokens carry. */
export function serverAccessScopes(user: string, server: string): string[] {
  return [`access:servers!server=${user}/${server}`, `access:servers!user=${user}`]
}

/**
 * The ServerManager's `serverEnv` hook: a fresh token and client for every
 * start (a stale pair from a server that died while the hub was down is
 * revoked first), then the standard JUPYTERHUB_* environment.
 * `hubApiUrl` is where the server reaches the hub's API, e.g.
 * 'http://127.0.0.1:8000/hub/api' (no trailing slash).
 */
export function serverEnvProvider(hub: HubContext, hubApiUrl: string): ServerEnvProvider {
  const apiUrl = hubApiUrl.replace(/\/+$/, '')
  return async (request) => {
    const { user, serverName, baseUrl } = request
    await revokeServerTokens(hub, user, serverName)
    const now = hub.now()
    const { token, record } = createToken({
      owner: user,
      note: `server ${user}/${serverName}`,
      scopes: roleScopes('server', { user, server: `${user}/${serverName}` }),
      kind: 'server',
      server: serverName,
      now,
    })
    const client: OAuthClientRecord = {
      id: serverClientId(user, serverName),
      user,
      server: serverName,
      redirectUri: `${baseUrl}oauth_callback`,
      secretTokenId: record.id,
      created: now,
    }
    await hub.store.commit({ op: 'token.put', token: record })
    await hub.store.commit({ op: 'oauthClient.put', client })
    return jupyterhubEnv(request, { apiUrl }, token)
  }
}

/**
 * Ends a server's credentials: its own API token, its OAuth client, and
 * every OAuth access token issued for it (someone still holding the
 * singleuser's cookie is logged out of it at the next hub check).
 */
export async function revokeServerTokens(hub: HubContext, user: string, server: string): Promise<void> {
  const state = hub.store.state
  const commits: Promise<void>[] = []
  const clientId = serverClientId(user, server)
  for (const token of Object.values(state.tokens)) {
    // OAuth tokens are owned by whoever logged in (an admin, too): found by their client.
    const ours = token.kind === 'server' ? token.owner === user && token.server === server : token.kind === 'oauth' && token.client === clientId
    if (ours) commits.push(hub.store.commit({ op: 'token.delete', id: token.id }))
  }
  const clients = oauthClientsOf(state)
  // Client ids can collide ('alice' + server 'x' vs user 'alice-x'): only remove this server's own.
  const client = Object.hasOwn(clients, clientId) ? clients[clientId] : undefined
  if (client !== undefined && client.user === user && client.server === server) commits.push(hub.store.commit({ op: 'oauthClient.delete', id: clientId }))
  await Promise.all(commits)
  if (commits.length > 0) hub.log.info({ user, server, revoked: commits.length }, 'server credentials revoked')
}
