/**
 * Who is making a request: a session cookie or an API token, resolved
 * against the hub's records, with the scopes that identity holds. One call
 * for the proxy's hot path and the hub's API alike.
 *
 * Scope sets are memoised per record object (WeakMap): expanding roles costs
 * microseconds, a lookup does not. The reducer replaces a user's record
 * object on every `user.put` (the only op that can change `admin`), so a
 * changed user gets fresh scopes at once and old entries are collected.
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

export class RequestIdentifier {
  private readonly sessions: Sessions
  private readonly state: () => HubState
  private readonly userMemo = new WeakMap<UserRecord, ScopeSet>()
  private readonly tokenMemo = new WeakMap<TokenRecord, { owner: UserRecord; scopes: ScopeSet }>()

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
    let scopes = this.userMemo.get(user)
    if (scopes === undefined) {
      scopes = userScopes(user)
      this.userMemo.set(user, scopes)
    }
    return scopes
  }

  /** A token's scopes: what it asked for, within what its owner may do now (memoised). */
  tokenScopes(token: TokenRecord, owner: UserRecord): ScopeSet {
    const memo = this.tokenMemo.get(token)
    if (memo !== undefined && memo.owner === owner) return memo.scopes
    const ownerScopes = this.userScopes(owner)
    const scopes = intersectScopes(expandScopes(token.scopes, { name: owner.name, scopes: ownerScopes }), ownerScopes)
    this.tokenMemo.set(token, { owner, scopes })
    return scopes
  }
}
