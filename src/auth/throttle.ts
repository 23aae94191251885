/**
 * Login throttling. Each key (an address, a user name) may fail
 * `maxFailures` times within `windowMs`; then it is locked out for
 * `lockoutMs`, doubling with each further lockout up to `maxLockoutMs`. A key
 * that stays quiet for `maxLockoutMs` after its last failure and lockout
 * starts over. Pure: the clock is passed
 * in. Memory is bounded: past `maxKeys`, the least recently failed key is
 * forgotten first.
 */

export interface ThrottleOptions {
  /** Failures allowed per window; default 5. */
  maxFailures?: number
  /** Default 5 minutes. */
  windowMs?: number
  /** First lockout; default 1 minute. */
  lockoutMs?: number
  /** Longest lockout, and how long a key must be quiet to be forgotten; default 1 hour. */
  maxLockoutMs?: number
  /** Keys remembered; default 10 000. */
  maxKeys?: number
}

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

interface Entry {
  failures: number
  windowStart: number
  lockedUntil: number
  lockouts: number
  lastFailure: number
}

const ALLOWED: ThrottleDecision = Object.freeze({ allowed: true })

export class Throttle {
  readonly maxFailures: number
  readonly windowMs: number
  readonly lockoutMs: number
  readonly maxLockoutMs: number
  readonly maxKeys: number
  private readonly entries = new Map<string, Entry>()

  constructor(options: ThrottleOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5
    this.windowMs = options.windowMs ?? 5 * 60_000
    this.lockoutMs = options.lockoutMs ?? 60_000
    this.maxLockoutMs = options.maxLockoutMs ?? 3600_000
    this.maxKeys = options.maxKeys ?? 10_000
  }

  /** Whether `key` may try now. */
  check(key: string, now: number): ThrottleDecision {
    const entry = this.entries.get(key)
    if (entry === undefined || now >= entry.lockedUntil) return ALLOWED
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((entry.lockedUntil - now) / 1000)) }
  }

  /** Records a failed attempt; returns the decision for the next attempt. */
  fail(key: string, now: number): ThrottleDecision {
    let entry = this.entries.get(key)
    if (entry !== undefined && now - Math.max(entry.lastFailure, entry.lockedUntil) >= this.maxLockoutMs) entry = undefined
    if (entry === undefined) {
      entry = { failures: 0, windowStart: now, lockedUntil: 0, lockouts: 0, lastFailure: now }
    } else {
      this.entries.delete(key) // re-inserted below: Map order = least recently failed first
    }
    if (now - entry.windowStart >= this.windowMs) {
      entry.failures = 0
      entry.windowStart = now
    }
    entry.failures++
    entry.lastFailure = now
    if (entry.failures >= this.maxFailures) {
      const lockout = Math.min(this.maxLockoutMs, this.lockoutMs * 2 ** entry.lockouts)
      entry.lockouts++
      entry.lockedUntil = now + lockout
      entry.failures = 0
      entry.windowStart = now
    }
    this.entries.set(key, entry)
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value as string)
    return this.check(key, now)
  }

  /** A successful login clears the key's record. */
  succeed(key: string): void {
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}

/**
 * The two throttles a login form uses: per client address and per user name.
 * An attempt is allowed only when both allow it; the wait is the longer one.
 */
export class LoginThrottle {
  readonly byAddress: Throttle
  readonly byUser: Throttle

  constructor(options: { address?: ThrottleOptions; user?: ThrottleOptions } = {}) {
    this.byAddress = new Throttle(options.address)
    this.byUser = new Throttle(options.user)
  }

  check(address: string, user: string, now: number): ThrottleDecision {
    return worst(this.byAddress.check(address, now), this.byUser.check(user, now))
  }

  fail(address: string, user: string, now: number): ThrottleDecision {
    return worst(this.byAddress.fail(address, now), this.byUser.fail(user, now))
  }

  succeed(address: string, user: string): void {
    this.byAddress.succeed(address)
    this.byUser.succeed(user)
  }
}

function worst(a: ThrottleDecision, b: ThrottleDecision): ThrottleDecision {
  if (a.allowed) return b
  if (b.allowed) return a
  return a.retryAfterSeconds >= b.retryAfterSeconds ? a : b
}

/** The message a login page shows when throttled. */
export function throttleMessage(retryAfterSeconds: number): string {
  const wait = retryAfterSeconds < 120 ? `${retryAfterSeconds} s` : `${Math.ceil(retryAfterSeconds / 60)} min`
  return `Too many failed logins — try again in ${wait}.`
}
