/**
 * Who is making a request: a session cookie or an API token, resolved
 * against the hub's records, with the scopes that identity holds. One call
 * for the proxy's hot path and the hub's API alike.
 *
 * Scope sets are memoised (bounded): expanding roles costs microseconds, a
 * Map hit does not, and a user's or token's scopes change only with the
 * user's admin flag (part of the memo key) or never (a token's own scopes).
 */
import { SESSION_COOKIE_NAME, type Session, type SessionRefusal, type Sessions } from './sessions.ts'
import { getCookie } from './cookie-header.ts'
import type { HubState, UserRecord } from './records.ts'
import { lookupToken, tokenFromAuthorization, type TokenRecord } from './tokens.ts'
import { expandScopes, intersectScopes, userScopes, type ScopeSet } from './scopes.ts'

export type Identity =
  | { via: 'session'; user: UserRecord; session: Session; /** re-issue the cookie on this response */ refresh: boolean; scopes: ScopeSet }
  | { via: 'token'; user: UserRecord; token: TokenRecord; scopes: ScopeSet }
  | { via: 'none'; reason: 'no-credentials' | SessionRefusal | 'bad-token' | 'expired-token' }

export interface RequestCredentials {
  /** The Cookie request header. */
  cookie?: string | undefined
  /** The Authorization request header. */
  authorization?: string | undefined
}

const MEMO_SIZE = 10_000

export class RequestIdentifier {
  private readonly sessions: Sessions
  private readonly state: () => HubState
  private readonly userMemo = new Map<string, ScopeSet>()
  private readonly tokenMemo = new Map<string, ScopeSet>()

  constructor(sessions: Sessions, state: () => HubState) {
    this.sessions = sessions
    this.state = state
  }

  /**
   * A token (Authorization header) wins over a cookie, as in JupyterHub;
   * a bad token is refused even when a good cookie is present, so a script
   * with a revoked token fails loudly instead of acting as the browser user.
   */
  identify(credentials: RequestCredentials, now: number): Identity {
    const users = this.state().users
    const token = tokenFromAuthorization(credentials.authorization)
    if (token !== undefined) {
      const found = lookupToken(this.state().tokens, token, now)
      if (!found.ok) return { via: 'none', reason: found.reason === 'expired' ? 'expired-token' : 'bad-token' }
      const user = Object.hasOwn(users, found.record.owner) ? users[found.record.owner] : undefined
      if (user === undefined || !user.approved) return { via: 'none', reason: 'bad-token' }
      return { via: 'token', user, token: found.record, scopes: this.tokenScopes(found.record, user) }
    }
    const value = getCookie(credentials.cookie, SESSION_COOKIE_NAME)
    if (value === undefined) return { via: 'none', reason: 'no-credentials' }
    const check = this.sessions.verifySession(value, now, (name) => (Object.hasOwn(users, name) ? users[name]?.sessionGeneration : undefined))
    if (!check.ok) return { via: 'none', reason: check.reason }
    const user = users[check.session.user] as UserRecord
    return { via: 'session', user, session: check.session, refresh: check.refresh, scopes: this.userScopes(user) }
  }

  /** Everything `user` may do (memoised). */
  userScopes(user: UserRecord): ScopeSet {
    const key = `${user.admin ? 'a' : 'u'}:${user.name}`
    let scopes = this.userMemo.get(key)
    if (scopes === undefined) {
      scopes = userScopes(user)
      remember(this.userMemo, key, scopes)
    }
    return scopes
  }

  /** A token's scopes: what it asked for, within what its owner may do now (memoised). */
  tokenScopes(token: TokenRecord, owner: UserRecord): ScopeSet {
    const key = `${owner.admin ? 'a' : 'u'}:${token.id}`
    let scopes = this.tokenMemo.get(key)
    if (scopes === undefined) {
      const ownerScopes = this.userScopes(owner)
      scopes = intersectScopes(expandScopes(token.scopes, { name: owner.name, scopes: ownerScopes }), ownerScopes)
      remember(this.tokenMemo, key, scopes)
    }
    return scopes
  }
}

function remember(memo: Map<string, ScopeSet>, key: string, scopes: ScopeSet): void {
  if (memo.size >= MEMO_SIZE) memo.clear() // rare; rebuilding is cheap
  memo.set(key, scopes)
}
