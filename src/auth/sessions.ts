/**
 * Session cookies: `monohub-session=<kid>.<payload>.<signature>`.
 *
 * The payload (base64url JSON) carries the user name, a random session id,
 * issued-at, absolute expiry, last-refresh time and the user's session
 * generation; cookie-signature signs `<kid>.<payload>` with HMAC-SHA256.
 * `kid` names the key that signed it, so several keys can verify (rotation)
 * and a cookie signed by a retired key is told apart from a forged one.
 *
 * "Log out everywhere" bumps the user's generation: cookies carrying an older
 * one are refused. Sessions end at `expiresAt` (absolute) or after
 * `idleTimeoutMs` without a refresh; `verifySession` says when a cookie is old
 * enough to be re-issued (sliding the idle window, never the absolute one).
 *
 * The proxy verifies on every request, so verified cookies are cached by
 * their raw string (LRU-bounded): a hit costs a Map lookup plus the expiry and
 * generation checks, which are still made on every hit.
 */
import { createHash, randomBytes } from 'node:crypto'
import signature from 'cookie-signature'
import { serializeCookie } from './cookie-header.ts'
import { ExplainedError } from '../explained-error.ts'

export const SESSION_COOKIE_NAME = 'monohub-session'

export interface Session {
  user: string
  /** Random id; CSRF tokens are bound to it. */
  sid: string
  generation: number
  /** Milliseconds since the epoch. */
  issuedAt: number
  /** Absolute end, ms since the epoch; refreshing never moves it. */
  expiresAt: number
  /** When this cookie value was (re-)issued; the idle timeout counts from here. */
  refreshedAt: number
}

export type SessionRefusal =
  | 'missing' // no cookie
  | 'malformed' // not something we ever issued
  | 'forged' // signature does not match the key it names
  | 'unknown-key' // signed by a key no longer configured (rotated out)
  | 'expired' // past the absolute lifetime
  | 'idle' // not refreshed within the idle timeout
  | 'revoked' // generation bumped ("log out everywhere", password change)
  | 'unknown-user' // the user no longer exists

export type SessionCheck =
  | { ok: true; session: Session; /** re-issue the cookie (refreshSession) on this response */ refresh: boolean }
  | { ok: false; reason: SessionRefusal }

/** Current generation of a user, or undefined when the user does not exist. */
export type GenerationOf = (user: string) => number | undefined

export interface SessionOptions {
  /** First signs, all verify. */
  keys: readonly string[]
  /** Absolute lifetime; default 14 days. */
  lifetimeMs?: number
  /** Refused after this long without a refresh; 0 disables; default 3 days. */
  idleTimeoutMs?: number
  /** Re-issue a cookie older than this; default 1 hour, or a quarter of a shorter idle timeout. */
  refreshAfterMs?: number
  /** Verified cookies kept in memory; default 10 000. */
  cacheSize?: number
}

// Cookies longer than this are not ours (ours are ~200 bytes); refuse before hashing.
const MAX_COOKIE_LENGTH = 1024

function keyId(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8)
}

export class SessionKeyError extends ExplainedError {
  constructor(message: string) {
    super('NO_SESSION_KEYS', 500, message)
  }
}

interface WirePayload {
  u: string
  s: string
  g: number
  i: number
  e: number
  r: number
}

function decodePayload(text: string): Session | null {
  let p: Partial<WirePayload>
  try {
    p = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<WirePayload>
  } catch {
    return null
  }
  if (typeof p !== 'object' || p === null) return null
  const { u, s, g, i, e, r } = p
  if (typeof u !== 'string' || typeof s !== 'string' || typeof g !== 'number' || typeof i !== 'number' || typeof e !== 'number' || typeof r !== 'number') return null
  return { user: u, sid: s, generation: g, issuedAt: i, expiresAt: e, refreshedAt: r }
}

interface CacheEntry {
  raw: string
  session: Session
}

// Characters of the (base64) signature used as the cache key: 24 × 6 = 144 bits.
const CACHE_KEY_LENGTH = 24

export class Sessions {
  readonly lifetimeMs: number
  readonly idleTimeoutMs: number
  readonly refreshAfterMs: number
  private readonly signingKey: string
  private readonly signingKid: string
  private readonly keysById: Map<string, string>
  // Two-generation LRU: hits in `hot` cost one Map lookup; a hit in `cold`
  // moves the entry to `hot`; when `hot` is full it becomes `cold` and the old
  // `cold` (entries unused for a whole generation) is dropped. At most
  // cacheSize entries in total, with no per-hit reordering.
  // Keyed by the signature's last characters (hashing a short fresh string is
  // several times cheaper than hashing the whole ~190-character cookie); the
  // entry holds the whole raw value, compared exactly on each hit.
  private hot = new Map<string, CacheEntry>()
  private cold = new Map<string, CacheEntry>()
  private readonly generationSize: number

  constructor(options: SessionOptions) {
    if (options.keys.length === 0) throw new SessionKeyError('no cookie keys configured — the secrets file or MONOHUB_COOKIE_SECRETS must provide at least one')
    this.signingKey = options.keys[0] as string
    this.signingKid = keyId(this.signingKey)
    this.keysById = new Map(options.keys.map((k) => [keyId(k), k]))
    this.lifetimeMs = options.lifetimeMs ?? 14 * 24 * 3600_000
    this.idleTimeoutMs = options.idleTimeoutMs ?? 3 * 24 * 3600_000
    // Re-issued well before the idle timeout could end a session in use (short idle timeouts included).
    this.refreshAfterMs = options.refreshAfterMs ?? (this.idleTimeoutMs > 0 ? Math.min(3600_000, Math.floor(this.idleTimeoutMs / 4)) : 3600_000)
    this.generationSize = Math.floor(Math.max(0, options.cacheSize ?? 10_000) / 2)
  }

  /** A new session for `user` and its cookie value. */
  issueSession(user: string, generation: number, now: number): { value: string; session: Session } {
    const session: Session = {
      user,
      sid: randomBytes(16).toString('base64url'),
      generation,
      issuedAt: now,
      expiresAt: now + this.lifetimeMs,
      refreshedAt: now,
    }
    return { value: this.encode(session), session }
  }

  /** The same session with a fresh idle window (absolute expiry unchanged). */
  refreshSession(session: Session, now: number): { value: string; session: Session } {
    const fresh: Session = { ...session, refreshedAt: now }
    return { value: this.encode(fresh), session: fresh }
  }

  private encode(session: Session): string {
    const wire: WirePayload = { u: session.user, s: session.sid, g: session.generation, i: session.issuedAt, e: session.expiresAt, r: session.refreshedAt }
    const payload = Buffer.from(JSON.stringify(wire)).toString('base64url')
    return signature.sign(`${this.signingKid}.${payload}`, this.signingKey)
  }

  /** Checks a cookie value: signature (cached), then lifetime, idle time and generation. */
  verifySession(value: string | undefined, now: number, generationOf: GenerationOf): SessionCheck {
    if (value === undefined || value.length === 0) return { ok: false, reason: 'missing' }
    const key = value.length > CACHE_KEY_LENGTH ? value.slice(-CACHE_KEY_LENGTH) : value
    let entry = this.hot.get(key)
    let session: Session
    if (entry !== undefined && entry.raw === value) {
      session = entry.session
    } else {
      entry = this.cold.get(key)
      if (entry !== undefined && entry.raw === value) {
        this.cold.delete(key)
        session = entry.session
      } else {
        const parsed = this.verifySignature(value)
        if (typeof parsed === 'string') return { ok: false, reason: parsed }
        session = parsed
        entry = { raw: value, session }
      }
      if (this.generationSize > 0) this.remember(key, entry)
    }
    const reason = this.lifetimeProblem(session, now, generationOf)
    if (reason !== null) {
      this.hot.delete(key)
      return { ok: false, reason }
    }
    return { ok: true, session, refresh: now - session.refreshedAt >= this.refreshAfterMs }
  }

  private remember(key: string, entry: CacheEntry): void {
    if (this.hot.size >= this.generationSize) {
      this.cold = this.hot
      this.hot = new Map()
    }
    this.hot.set(key, entry)
  }

  private lifetimeProblem(session: Session, now: number, generationOf: GenerationOf): SessionRefusal | null {
    if (now >= session.expiresAt) return 'expired'
    if (this.idleTimeoutMs > 0 && now - session.refreshedAt >= this.idleTimeoutMs) return 'idle'
    const generation = generationOf(session.user)
    if (generation === undefined) return 'unknown-user'
    if (session.generation !== generation) return 'revoked'
    return null
  }

  private verifySignature(value: string): Session | SessionRefusal {
    if (value.length > MAX_COOKIE_LENGTH) return 'malformed'
    const dot = value.indexOf('.')
    if (dot <= 0) return 'malformed'
    const key = this.keysById.get(value.slice(0, dot))
    const signed = value.lastIndexOf('.')
    if (signed <= dot) return 'malformed'
    if (key === undefined) return 'unknown-key'
    const unsigned = signature.unsign(value, key)
    if (unsigned === false) return 'forged'
    return decodePayload(unsigned.slice(dot + 1)) ?? 'malformed'
  }

  /** Forgets cached verifications (e.g. after a user is deleted; generation checks already cover revocation). */
  clearCache(): void {
    this.hot.clear()
    this.cold.clear()
  }

  /** Whether `value` would be served from the cache (for tests and metrics). */
  isCached(value: string): boolean {
    const key = value.length > CACHE_KEY_LENGTH ? value.slice(-CACHE_KEY_LENGTH) : value
    return this.hot.get(key)?.raw === value || this.cold.get(key)?.raw === value
  }

  get cachedCount(): number {
    return this.hot.size + this.cold.size
  }

  /** Set-Cookie value for a session cookie valid until its absolute expiry. */
  cookieHeader(value: string, session: Session, now: number, secure: boolean): string {
    return serializeCookie(SESSION_COOKIE_NAME, value, { maxAge: (session.expiresAt - now) / 1000, httpOnly: true, secure, sameSite: 'Lax', path: '/' })
  }
}

/** Set-Cookie value that removes the session cookie (logout). */
export function clearSessionCookieHeader(secure: boolean): string {
  return serializeCookie(SESSION_COOKIE_NAME, '', { maxAge: 0, httpOnly: true, secure, sameSite: 'Lax', path: '/' })
}
