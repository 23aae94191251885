/**
 * API tokens. A token is shown once, when made; only its SHA-256 is stored.
 * (A fast hash is enough here: tokens are 256 random bits, not passwords.)
 *
 * The token id is derived from the hash, so a lookup by token is one record
 * lookup with no index to keep in step with the store: id = "t" + the first
 * 16 hex digits of the hash; the full hash is then compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const TOKEN_PREFIX = 'mh_'

export interface TokenRecord {
  id: string
  /** Hex SHA-256 of the whole token. */
  hash: string
  /** First characters of the token, shown in lists so a person can recognise it. */
  prefix: string
  owner: string
  note: string
  /** As requested (unexpanded), e.g. ['inherit'] or ['read:users!user=alice']. */
  scopes: string[]
  /**
   * What made it: a person on the token page / API ('api'), the hub for a
   * user server ('server', the server's own token), or the hub's OAuth
   * provider for someone logging in to a user server ('oauth').
   */
  kind: 'api' | 'server' | 'oauth'
  /** With kind 'server' and 'oauth': the server it belongs to ('' = default); revoked when it stops. */
  server?: string
  /** With kind 'oauth': the OAuth client it was issued to. */
  client?: string
  /** Milliseconds since the epoch. */
  created: number
  expiresAt?: number
  lastUsed?: number
}

export type TokenLookup = { ok: true; record: TokenRecord } | { ok: false; reason: 'malformed' | 'unknown' | 'expired' }

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

export function tokenIdFromHash(hash: string): string {
  return 't' + hash.slice(0, 16)
}

export interface NewToken {
  owner: string
  note?: string
  scopes?: string[]
  kind?: TokenRecord['kind']
  server?: string
  client?: string
  now: number
  /** Lifetime in seconds; undefined = no expiry. */
  expiresIn?: number
}

/** A new random token and the record to store for it. The token itself is returned once and never stored. */
export function createToken(spec: NewToken): { token: string; record: TokenRecord } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url')
  const hash = hashToken(token)
  const record: TokenRecord = {
    id: tokenIdFromHash(hash),
    hash,
    prefix: token.slice(0, TOKEN_PREFIX.length + 4),
    owner: spec.owner,
    note: spec.note ?? '',
    scopes: spec.scopes ?? ['inherit'],
    kind: spec.kind ?? 'api',
    created: spec.now,
  }
  if (spec.server !== undefined) record.server = spec.server
  if (spec.client !== undefined) record.client = spec.client
  if (spec.expiresIn !== undefined) record.expiresAt = spec.now + spec.expiresIn * 1000
  return { token, record }
}

// Anything longer is not a token we made; refuse before hashing.
const MAX_TOKEN_LENGTH = 256

/** Finds the record for a presented token and checks its expiry. */
export function lookupToken(tokens: Readonly<Record<string, TokenRecord>>, token: string, now: number): TokenLookup {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' }
  const hash = hashToken(token)
  const record = tokens[tokenIdFromHash(hash)]
  if (record === undefined || !Object.hasOwn(tokens, record.id)) return { ok: false, reason: 'unknown' }
  if (!timingSafeEqual(Buffer.from(record.hash, 'hex'), Buffer.from(hash, 'hex'))) return { ok: false, reason: 'unknown' }
  if (isTokenExpired(record, now)) return { ok: false, reason: 'expired' }
  return { ok: true, record }
}

export function isTokenExpired(record: TokenRecord, now: number): boolean {
  return record.expiresAt !== undefined && now >= record.expiresAt
}

/**
 * The token in an Authorization header: `token <t>` or `Bearer <t>`
 * (case-insensitive scheme, as JupyterHub accepts). undefined when absent.
 */
export function tokenFromAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  if (space === -1) return undefined
  const scheme = header.slice(0, space).toLowerCase()
  if (scheme !== 'token' && scheme !== 'bearer') return undefined
  const token = header.slice(space + 1).trim()
  return token.length > 0 ? token : undefined
}

/** A user's tokens, newest first. */
export function tokensOf(tokens: Readonly<Record<string, TokenRecord>>, owner: string): TokenRecord[] {
  return Object.values(tokens).filter((t) => t.owner === owner).sort((a, b) => b.created - a.created)
}

/** The JSON a token list/create answers with (JupyterHub's token model, without the hash). */
export function tokenModel(record: TokenRecord): Record<string, unknown> {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString())
  return {
    id: record.id,
    kind: 'api_token',
    user: record.owner,
    note: record.note,
    scopes: record.scopes,
    prefix: record.prefix,
    created: iso(record.created),
    expires_at: iso(record.expiresAt),
    last_activity: iso(record.lastUsed),
  }
}
