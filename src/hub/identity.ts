/**
 * Who is making a request to the hub (its REST API, its pages, or a proxied
 * user route): an API token in `Authorization: token|Bearer <t>`, else the
 * session cookie. One call for the proxy's hot path and the API alike, so it
 * is cheap: a token is one hash and one record lookup, a cookie is served by
 * the Sessions cache, and expanded scope sets are memoised (RequestIdentifier,
 * one per hub).
 *
 * A token's scopes are intersected with what its owner may do NOW (the memo
 * follows the owner's record), so a demoted admin's tokens lose their admin
 * power at once. A token's last use is kept in memory and written
 * to the store at most once a minute per token, never once per request.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { HubContext } from './context.ts'
import type { UserRecord } from '../auth/records.ts'
import type { Session } from '../auth/sessions.ts'
import { RequestIdentifier } from '../auth/request-identity.ts'
import { hashToken, tokenFromAuthorization, type TokenRecord } from '../auth/tokens.ts'
import { expandScopes, ROLES } from '../auth/scopes.ts'
import { CSRF_HEADER, sessionBinding, verifyCsrfToken } from '../auth/csrf.ts'
import { forbidden } from './api-errors.ts'

export interface Identity {
  /** A user (or the CLI's admin token), or a configured service (src/hub/services) — absent means a user. */
  kind?: 'user' | 'service'
  name: string
  admin: boolean
  /** Expanded: test with hasScope(). */
  scopes: ReadonlySet<string>
  via: 'session' | 'token'
  /** The session's random id (CSRF tokens are bound to it); with via 'session'. */
  sessionId?: string
  /** With via 'token'. */
  tokenId?: string
  /** With via 'session': the verified session, and whether to re-issue its cookie on this response (Sessions.refreshSession). */
  session?: Session
  refresh?: boolean
}

/** How long a token's last use may stay in memory only before it is written to the store. */
export const TOKEN_USE_FLUSH_MS = 60_000

/** Name of the identity behind the CLI's per-start admin token (not a valid user name, so never a user's). */
export const CLI_IDENTITY_NAME = 'monohub:cli'

interface IdentityCache {
  identifier: RequestIdentifier
  /** Hash of the running hub's in-memory CLI token (runtime-file.ts), never stored. */
  cliTokenHash: string | undefined
  cliScopes: ReadonlySet<string>
  /** Hash of a service's token → that service (acceptServiceToken); in memory only, never stored. */
  serviceTokens: Map<string, ServiceTokenHolder>
  /** Token id → last use (ms) not yet written to the store. */
  tokenUse: Map<string, number>
  flushTimer: NodeJS.Timeout | undefined
}

const caches = new WeakMap<HubContext, IdentityCache>()

function cacheOf(hub: HubContext): IdentityCache {
  let cache = caches.get(hub)
  if (cache === undefined) {
    cache = {
      identifier: new RequestIdentifier(hub.sessions, () => hub.store.state),
      cliTokenHash: undefined,
      cliScopes: expandScopes(ROLES.admin ?? []),
      serviceTokens: new Map(),
      tokenUse: new Map(),
      flushTimer: undefined,
    }
    caches.set(hub, cache)
  }
  return cache
}

/** Everything `user` may do now (memoised per record). */
export function scopesOfUser(hub: HubContext, user: UserRecord): ReadonlySet<string> {
  return cacheOf(hub).identifier.userScopes(user)
}

/** A token's scopes: what it asked for, within what its owner may do now. */
export function scopesOfToken(hub: HubContext, token: TokenRecord, owner: UserRecord): ReadonlySet<string> {
  return cacheOf(hub).identifier.tokenScopes(token, owner)
}

/**
 * Accepts `token` as an admin token of this hub until it stops (or another
 * one replaces it). Only its hash is kept, in memory (see runtime-file.ts).
 */
export function acceptCliToken(hub: HubContext, token: string): void {
  cacheOf(hub).cliTokenHash = hashToken(token)
}

/** What a service's token stands for: the service's name, admin flag and expanded scopes. */
export interface ServiceTokenHolder {
  name: string
  admin: boolean
  scopes: ReadonlySet<string>
}

/**
 * Accepts `token` as `holder`'s (a configured service) until the hub stops
 * or forgetServiceTokens. Only its hash is kept, in memory: service tokens
 * come from the config or are made at each start, so the store never holds them.
 */
export function acceptServiceToken(hub: HubContext, token: string, holder: ServiceTokenHolder): void {
  const tokens = cacheOf(hub).serviceTokens
  for (const [hash, known] of tokens) if (known.name === holder.name) tokens.delete(hash)
  tokens.set(hashToken(token), holder)
}

/** Forgets every service token (the hub stops its services). */
export function forgetServiceTokens(hub: HubContext): void {
  caches.get(hub)?.serviceTokens.clear()
}

function serviceOfToken(cache: IdentityCache, authorization: string | undefined): ServiceTokenHolder | undefined {
  if (cache.serviceTokens.size === 0) return undefined
  const token = tokenFromAuthorization(authorization)
  // A map lookup by the whole SHA-256: the hash of a secret token leaks nothing useful through timing.
  return token === undefined ? undefined : cache.serviceTokens.get(hashToken(token))
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function isCliToken(cache: IdentityCache, authorization: string | undefined): boolean {
  if (cache.cliTokenHash === undefined) return false
  const token = tokenFromAuthorization(authorization)
  if (token === undefined) return false
  return timingSafeEqual(Buffer.from(hashToken(token), 'hex'), Buffer.from(cache.cliTokenHash, 'hex'))
}

/**
 * The identity behind a request, or null. A token wins over a cookie (as in
 * JupyterHub), and a bad or expired token is null even when a good cookie is
 * present, so a script with a revoked token fails loudly instead of acting as
 * the browser's user. Accounts waiting for approval have no identity.
 */
export function identifyRequest(hub: HubContext, req: { headers: IncomingHttpHeaders }): Identity | null {
  const cache = cacheOf(hub)
  const now = hub.now()
  const authorization = headerValue(req.headers.authorization)
  const who = cache.identifier.identify({ authorization, cookie: headerValue(req.headers.cookie) }, now)
  switch (who.via) {
    case 'token':
      recordTokenUse(hub, cache, who.token.id, now)
      return { kind: 'user', name: who.user.name, admin: who.user.admin, scopes: who.scopes, via: 'token', tokenId: who.token.id }
    case 'session':
      if (!who.user.approved) return null
      return { kind: 'user', name: who.user.name, admin: who.user.admin, scopes: who.scopes, via: 'session', sessionId: who.session.sid, session: who.session, refresh: who.refresh }
    default:
      if (who.reason === 'bad-token') {
        if (isCliToken(cache, authorization)) return { kind: 'user', name: CLI_IDENTITY_NAME, admin: true, scopes: cache.cliScopes, via: 'token', tokenId: 'cli' }
        const service = serviceOfToken(cache, authorization)
        if (service !== undefined) return { kind: 'service', name: service.name, admin: service.admin, scopes: service.scopes, via: 'token', tokenId: `service:${service.name}` }
      }
      return null
  }
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

function recordTokenUse(hub: HubContext, cache: IdentityCache, id: string, now: number): void {
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
