/**
 * OAuth authorization codes: random, single-use, short-lived (60 s), kept in
 * memory only — a code lives between one redirect and the server's token
 * request a moment later, so a hub restart in between just means "log in
 * again". Pure apart from the random bytes: the clock is passed in.
 */
import { randomBytes } from 'node:crypto'

/** How long a code may wait for its token request. */
export const CODE_LIFETIME_MS = 60_000

/** Most codes outstanding at once; beyond this the oldest are dropped (a flood cannot grow memory). */
const MAX_CODES = 10_000

export interface CodeGrant {
  clientId: string
  /** Who logged in (the token's owner). */
  user: string
  redirectUri: string
  scopes: string[]
  expiresAt: number
}

export class AuthorizationCodes {
  readonly #codes = new Map<string, CodeGrant>()

  /** A new code for `grant` (expires CODE_LIFETIME_MS after `now`). */
  issue(grant: Omit<CodeGrant, 'expiresAt'>, now: number): string {
    this.#sweep(now)
    while (this.#codes.size >= MAX_CODES) this.#codes.delete(this.#codes.keys().next().value as string)
    const code = randomBytes(32).toString('base64url')
    this.#codes.set(code, { ...grant, expiresAt: now + CODE_LIFETIME_MS })
    return code
  }

  /** The grant behind `code`, which is used up by this call whatever the answer; undefined when unknown, used or expired. */
  redeem(code: string, now: number): CodeGrant | undefined {
    const grant = this.#codes.get(code)
    if (grant === undefined) return undefined
    this.#codes.delete(code)
    return now < grant.expiresAt ? grant : undefined
  }

  get size(): number {
    return this.#codes.size
  }

  #sweep(now: number): void {
    // Insertion order is expiry order (one fixed lifetime), so stop at the first live code.
    for (const [code, grant] of this.#codes) {
      if (grant.expiresAt > now) break
      this.#codes.delete(code)
    }
  }
}
