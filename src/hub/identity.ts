/**
 * Who is making a request to the hub (its REST API, its pages, or a proxied
 * user route): an API token in `Authorization: token|Bearer <t>`, else the
 * session cookie. One call for the proxy's hot path and the API alike, so it
 * is cheap: a token is one hash and one record lookup, a cookie is served by
 * the Sessions cache, and expanded scope sets are memoised per hub.
 *
 * A token's scopes are intersected with what its owner may do NOW (the memo
 * key includes the owner's admin flag), so a demoted admin's tokens lose
 * their admin power at once. A token's last use is kept in memory and written
 * to the store at most once a minute per token, never once per request.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { HubContext } from './context.ts'
import type { UserRecord } from '../auth/records.ts'
import { getCookie } from '../auth/cookie-header.ts'
import { SESSION_COOKIE_NAME } from '../auth/sessions.ts'
import { lookupToken, tokenFromAuthorization, type TokenRecord } from '../auth/tokens.ts'
import { expandScopes, intersectScopes, userScopes } from '../auth/scopes.ts'
import { CSRF_HEADER, sessionBinding, verifyCsrfToken } from '../auth/csrf.ts'
import { forbidden } from './api-errors.ts'

export interface Identity {
  name: string
  admin: boolean
  /** Expanded: test with hasScope(). */
  scopes: ReadonlySet<string>
  via: 'session' | 'token'
  /** The session's random id (CSRF tokens are bound to it); with via 'session'. */
  sessionId?: string
  /** With via 'token'. */
  tokenId?: string
}

/** How long a token's last use may stay in memory only before it is written to the store. */
export const TOKEN_USE_FLUSH_MS = 60_000
const MEMO_SIZE = 10_000

interface IdentityCache {
  userScopes: Map<string, ReadonlySet<string>>
  tokenScopes: Map<string, ReadonlySet<string>>
  /** Token id → last use (ms) not yet written to the store. */
  tokenUse: Map<string, number>
  flushTimer: NodeJS.Timeout | undefined
}

const caches = new WeakMap<HubContext, IdentityCache>()

function cacheOf(hub: HubContext): IdentityCache {
  let cache = caches.get(hub)
  if (cache === undefined) {
    cache = { userScopes: new Map(), tokenScopes: new Map(), tokenUse: new Map(), flushTimer: undefined }
    caches.set(hub, cache)
  }
  return cache
}

function remember(memo: Map<string, ReadonlySet<string>>, key: string, scopes: ReadonlySet<string>): void {
  if (memo.size >= MEMO_SIZE) memo.clear() // rare; rebuilding is cheap
  memo.set(key, scopes)
}

/** Everything `user` may do now (memoised by name and admin flag). */
export function scopesOfUser(hub: HubContext, user: Pick<UserRecord, 'name' | 'admin'>): ReadonlySet<string> {
  const memo = cacheOf(hub).userScopes
  const key = `${user.admin ? 'a' : 'u'}:${user.name}`
  let scopes = memo.get(key)
  if (scopes === undefined) {
    scopes = userScopes(user)
    remember(memo, key, scopes)
  }
  return scopes
}

/** A token's scopes: what it asked for, within what its owner may do now. */
export function scopesOfToken(hub: HubContext, token: TokenRecord, owner: Pick<UserRecord, 'name' | 'admin'>): ReadonlySet<string> {
  const memo = cacheOf(hub).tokenScopes
  const key = `${owner.admin ? 'a' : 'u'}:${token.id}`
  let scopes = memo.get(key)
  if (scopes === undefined) {
    const ownerScopes = scopesOfUser(hub, owner)
    scopes = intersectScopes(expandScopes(token.scopes, { name: owner.name, scopes: ownerScopes }), ownerScopes)
    remember(memo, key, scopes)
  }
  return scopes
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function userOf(hub: HubContext, name: string): UserRecord | undefined {
  const users = hub.store.state.users
  const user = Object.hasOwn(users, name) ? users[name] : undefined
  return user !== undefined && user.approved ? user : undefined
}

/**
 * The identity behind a request, or null. A token wins over a cookie (as in
 * JupyterHub), and a bad or expired token is null even when a good cookie is
 * present, so a script with a revoked token fails loudly instead of acting as
 * the browser's user.
 */
export function identifyRequest(hub: HubContext, req: { headers: IncomingHttpHeaders }): Identity | null {
  const now = hub.now()
  const token = tokenFromAuthorization(headerValue(req.headers.authorization))
  if (token !== undefined) {
    const found = lookupToken(hub.store.state.tokens, token, now)
    if (!found.ok) return null
    const owner = userOf(hub, found.record.owner)
    if (owner === undefined) return null
    recordTokenUse(hub, found.record.id, now)
    return { name: owner.name, admin: owner.admin, scopes: scopesOfToken(hub, found.record, owner), via: 'token', tokenId: found.record.id }
  }
  const cookie = getCookie(headerValue(req.headers.cookie), SESSION_COOKIE_NAME)
  if (cookie === undefined) return null
  const users = hub.store.state.users
  const check = hub.sessions.verifySession(cookie, now, (name) => (Object.hasOwn(users, name) ? users[name]?.sessionGeneration : undefined))
  if (!check.ok) return null
  const user = userOf(hub, check.session.user)
  if (user === undefined) return null
  return { name: user.name, admin: user.admin, scopes: scopesOfUser(hub, user), via: 'session', sessionId: check.session.sid }
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Cookie-authenticated state-changing requests must carry `X-XSRFToken`
 * (made by createCsrfToken for the session's id): a cookie is sent by the
 * browser on any site's behalf, a token header is not. Token-authenticated
 * requests and safe methods pass. Throws a 403 ApiError otherwise.
 */
export function requireCsrf(hub: HubContext, identity: Identity, req: { method?: string | undefined; headers: IncomingHttpHeaders }): void {
  if (identity.via === 'token') return
  if (req.method !== undefined && SAFE_METHODS.has(req.method.toUpperCase())) return
  const given = headerValue(req.headers[CSRF_HEADER])
  if (identity.sessionId !== undefined && verifyCsrfToken(hub.secrets.csrfKey, sessionBinding(identity.sessionId), given)) return
  throw forbidden(
    given === undefined
      ? 'missing X-XSRFToken header — a request authenticated by the session cookie must send the page\'s XSRF token in it, or use an API token (Authorization: token <t>)'
      : 'X-XSRFToken header does not match this session — reload the page to get a fresh token',
    'CSRF',
  )
}

function recordTokenUse(hub: HubContext, id: string, now: number): void {
  const cache = cacheOf(hub)
  cache.tokenUse.set(id, now)
  if (cache.flushTimer === undefined) {
    cache.flushTimer = setTimeout(() => {
      cache.flushTimer = undefined
      flushTokenUse(hub).catch((err: unknown) => hub.log.warn({ err }, 'could not record API token use'))
    }, TOKEN_USE_FLUSH_MS)
    cache.flushTimer.unref()
  }
}

/** When the token was last used, counting uses not yet written to the store. */
export function tokenLastUsed(hub: HubContext, record: TokenRecord): number | undefined {
  const pending = caches.get(hub)?.tokenUse.get(record.id)
  if (pending === undefined) return record.lastUsed
  return record.lastUsed === undefined || pending > record.lastUsed ? pending : record.lastUsed
}

/**
 * Writes pending token uses to the store (one op per used token). Runs a
 * minute after the first unwritten use; call it at shutdown too, before the
 * store closes.
 */
export async function flushTokenUse(hub: HubContext): Promise<void> {
  const cache = caches.get(hub)
  if (cache === undefined || cache.tokenUse.size === 0) return
  if (cache.flushTimer !== undefined) {
    clearTimeout(cache.flushTimer)
    cache.flushTimer = undefined
  }
  const pending = [...cache.tokenUse]
  cache.tokenUse.clear()
  const tokens = hub.store.state.tokens
  const commits: Promise<void>[] = []
  for (const [id, at] of pending) {
    const record = Object.hasOwn(tokens, id) ? tokens[id] : undefined
    if (record === undefined || (record.lastUsed !== undefined && record.lastUsed >= at)) continue
    commits.push(hub.store.commit({ op: 'token.touch', id, at }))
  }
  await Promise.all(commits)
}
