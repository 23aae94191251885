/**
 * The token end of the OAuth flow: checking the client's secret (the
 * server's own API token) and issuing access tokens — stored hashed like
 * every token (kind 'oauth', tied to the server so they are revoked with
 * it), expiring with the hub's session lifetime, and scoped to using that
 * one server.
 */
import type { HubContext } from '../context.ts'
import type { OAuthClientRecord } from '../../auth/records.ts'
import { createToken, lookupToken } from '../../auth/tokens.ts'

/** Whether `secret` is the client's secret: the live API token of its server. */
export function isClientSecret(hub: HubContext, client: OAuthClientRecord, secret: string, now: number): boolean {
  const found = lookupToken(hub.store.state.tokens, secret, now)
  return found.ok && found.record.id === client.secretTokenId && found.record.owner === client.user
}

export interface IssuedAccessToken {
  access_token: string
  token_type: 'Bearer'
  /** Seconds. */
  expires_in: number
  /** Space-separated, as OAuth sends scopes. */
  scope: string
}

/** Makes and stores an access token for `user` on `client`'s server. */
export async function issueAccessToken(hub: HubContext, client: OAuthClientRecord, user: string, scopes: string[], now: number): Promise<IssuedAccessToken> {
  const expiresIn = Math.max(60, Math.floor(hub.sessions.lifetimeMs / 1000))
  const { token, record } = createToken({
    owner: user,
    note: `OAuth login to ${client.id}`,
    scopes,
    kind: 'oauth',
    server: client.server,
    client: client.id,
    now,
    expiresIn,
  })
  await hub.store.commit({ op: 'token.put', token: record })
  return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: scopes.join(' ') }
}
