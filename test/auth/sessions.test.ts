import t from 'tap'
import signature from 'cookie-signature'
import { Sessions, SESSION_COOKIE_NAME, clearSessionCookieHeader } from '../../src/auth/sessions.ts'
import { getCookie } from '../../src/auth/cookie-header.ts'

const K1 = 'k1-'.padEnd(40, 'x')
const K2 = 'k2-'.padEnd(40, 'y')
const T0 = Date.UTC(2026, 0, 1)
const HOUR = 3600_000
const gens = (map: Record<string, number>) => (name: string) => map[name]

t.test('an issued session verifies and carries user, id, times and generation', async (t) => {
  const s = new Sessions({ keys: [K1] })
  const { value, session } = s.issueSession('alice', 3, T0)
  t.match(value, /^[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9+/]+$/, 'cookie-safe characters only')
  const check = s.verifySession(value, T0 + 1000, gens({ alice: 3 }))
  t.same(check, { ok: true, session, refresh: false })
  t.equal(session.user, 'alice')
  t.equal(session.generation, 3)
  t.equal(session.expiresAt, T0 + 14 * 24 * HOUR)
  t.ok(session.sid.length >= 20)
  t.not(s.issueSession('alice', 3, T0).session.sid, session.sid, 'each session has its own id')
})

t.test('a missing or malformed cookie is refused', async (t) => {
  const s = new Sessions({ keys: [K1] })
  const g = gens({ alice: 0 })
  t.same(s.verifySession(undefined, T0, g), { ok: false, reason: 'missing' })
  t.same(s.verifySession('', T0, g), { ok: false, reason: 'missing' })
  t.same(s.verifySession('garbage', T0, g), { ok: false, reason: 'malformed' })
  t.same(s.verifySession('x'.repeat(5000), T0, g), { ok: false, reason: 'malformed' })
  const kid = s.issueSession('alice', 0, T0).value.split('.')[0]!
  t.same(s.verifySession(`${kid}.nosig`, T0, g), { ok: false, reason: 'malformed' })
  // Correctly signed but not our payload shape.
  const signedJunk = signature.sign(`${kid}.${Buffer.from('{"u":1}').toString('base64url')}`, K1)
  t.same(s.verifySession(signedJunk, T0, g), { ok: false, reason: 'malformed' })
})

t.test('a forged cookie is refused: changed payload, changed signature, other secret', async (t) => {
  const s = new Sessions({ keys: [K1] })
  const g = gens({ alice: 0, mallory: 0 })
  const { value } = s.issueSession('mallory', 0, T0)
  const [kid, payload, sig] = value.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  claims.u = 'alice'
  const tampered = `${kid}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`
  t.same(s.verifySession(tampered, T0, g), { ok: false, reason: 'forged' }, 'payload rewritten to another user')
  const flipped = value.slice(0, -2) + (value.endsWith('AA') ? 'BB' : 'AA')
  t.same(s.verifySession(flipped, T0, g), { ok: false, reason: 'forged' }, 'signature changed')
  const forged = signature.sign(`${kid}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`, 'attacker secret '.repeat(3))
  t.same(s.verifySession(forged, T0, g), { ok: false, reason: 'forged' }, 'signed with a guessed key under our key id')
})

t.test('another user\'s cookie verifies as that user, never as the requester', async (t) => {
  const s = new Sessions({ keys: [K1] })
  const bob = s.issueSession('bob', 0, T0).value
  const check = s.verifySession(bob, T0, gens({ alice: 0, bob: 0 }))
  t.ok(check.ok)
  t.equal(check.ok && check.session.user, 'bob', 'the proxy compares session.user with the route owner')
})

t.test('an expired cookie is refused (absolute lifetime), also from the cache', async (t) => {
  const s = new Sessions({ keys: [K1], lifetimeMs: 10 * HOUR, idleTimeoutMs: 0 })
  const { value } = s.issueSession('alice', 0, T0)
  const g = gens({ alice: 0 })
  t.ok(s.verifySession(value, T0 + 9 * HOUR, g).ok, 'cached now')
  t.same(s.verifySession(value, T0 + 10 * HOUR, g), { ok: false, reason: 'expired' })
  t.same(s.verifySession(value, T0 + 11 * HOUR, g), { ok: false, reason: 'expired' })
})

t.test('idle timeout: refused when not refreshed; refreshing slides the idle window, not the absolute one', async (t) => {
  const s = new Sessions({ keys: [K1], lifetimeMs: 100 * HOUR, idleTimeoutMs: 10 * HOUR, refreshAfterMs: HOUR })
  const g = gens({ alice: 0 })
  const first = s.issueSession('alice', 0, T0)
  const early = s.verifySession(first.value, T0 + HOUR / 2, g)
  t.equal(early.ok && early.refresh, false, 'young cookie: no refresh')
  const later = s.verifySession(first.value, T0 + 2 * HOUR, g)
  t.equal(later.ok && later.refresh, true, 'older than refreshAfter: refresh')
  t.same(s.verifySession(first.value, T0 + 10 * HOUR, g), { ok: false, reason: 'idle' })
  const refreshed = s.refreshSession(first.session, T0 + 9 * HOUR)
  t.equal(refreshed.session.sid, first.session.sid, 'same session id (CSRF tokens stay valid)')
  t.equal(refreshed.session.expiresAt, first.session.expiresAt)
  t.ok(s.verifySession(refreshed.value, T0 + 18 * HOUR, g).ok)
  t.same(s.verifySession(refreshed.value, T0 + 19 * HOUR, g), { ok: false, reason: 'idle' })
})

t.test('a generation bump ("log out everywhere") revokes cookies, also cached ones', async (t) => {
  const s = new Sessions({ keys: [K1] })
  const gen: Record<string, number> = { alice: 0 }
  const { value } = s.issueSession('alice', 0, T0)
  t.ok(s.verifySession(value, T0, gens(gen)).ok)
  t.equal(s.cachedCount, 1)
  gen.alice = 1
  t.same(s.verifySession(value, T0, gens(gen)), { ok: false, reason: 'revoked' })
  t.equal(s.cachedCount, 0, 'dropped from the cache')
  const fresh = s.issueSession('alice', 1, T0)
  t.ok(s.verifySession(fresh.value, T0, gens(gen)).ok, 'a new login works')
  delete gen.alice
  t.same(s.verifySession(fresh.value, T0, gens(gen)), { ok: false, reason: 'unknown-user' }, 'deleted user')
})

t.test('key rotation: the new key signs, the old key still verifies, a dropped key is told apart', async (t) => {
  const old = new Sessions({ keys: [K1] })
  const g = gens({ alice: 0 })
  const oldCookie = old.issueSession('alice', 0, T0).value
  const rotated = new Sessions({ keys: [K2, K1] })
  t.ok(rotated.verifySession(oldCookie, T0, g).ok, 'old key still verifies')
  const newCookie = rotated.issueSession('alice', 0, T0).value
  t.not(newCookie.split('.')[0], oldCookie.split('.')[0], 'signed with the new key')
  t.same(old.verifySession(newCookie, T0, g), { ok: false, reason: 'unknown-key' }, 'a node without the new key refuses it')
  const dropped = new Sessions({ keys: [K2] })
  t.ok(dropped.verifySession(newCookie, T0, g).ok)
  t.same(dropped.verifySession(oldCookie, T0, g), { ok: false, reason: 'unknown-key' }, 'wrong (retired) key')
})

t.test('the cache is bounded and keeps recently used cookies', async (t) => {
  const s = new Sessions({ keys: [K1], cacheSize: 4 })
  const g = gens({ a: 0 })
  const v = Array.from({ length: 100 }, (_, i) => s.issueSession('a', 0, T0 + i).value)
  s.verifySession(v[0]!, T0, g)
  s.verifySession(v[1]!, T0, g)
  s.verifySession(v[2]!, T0, g)
  s.verifySession(v[0]!, T0, g) // used again: kept
  s.verifySession(v[3]!, T0, g)
  t.ok(s.isCached(v[0]!), 'recently used entry kept')
  t.notOk(s.isCached(v[1]!), 'least recently used entry dropped')
  for (const x of v) {
    t.ok(s.verifySession(x, T0, g).ok)
    if (s.cachedCount > 4) t.fail(`cache holds ${s.cachedCount} entries`)
  }
  t.ok(s.cachedCount <= 4)
  // A cookie that differs from a cached one only before the key characters is not served from the cache.
  const cached = v[99]!
  t.ok(s.isCached(cached))
  const [kid, payload, sig] = cached.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
  claims.u = 'b'
  const sameTail = `${kid}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`
  t.notOk(s.isCached(sameTail))
  t.same(s.verifySession(sameTail, T0, gens({ a: 0, b: 0 })), { ok: false, reason: 'forged' })
  const noCache = new Sessions({ keys: [K1], cacheSize: 0 })
  t.ok(noCache.verifySession(v[0]!, T0, g).ok)
  t.equal(noCache.cachedCount, 0)
})

t.test('no keys is a clear error', async (t) => {
  t.throws(() => new Sessions({ keys: [] }), { code: 'NO_SESSION_KEYS' })
})

t.test('cookie attributes: HttpOnly, SameSite=Lax, Path=/, Secure only under TLS, Max-Age to absolute expiry', async (t) => {
  const s = new Sessions({ keys: [K1], lifetimeMs: 2 * HOUR })
  const { value, session } = s.issueSession('alice', 0, T0)
  t.equal(s.cookieHeader(value, session, T0 + HOUR, false), `${SESSION_COOKIE_NAME}=${value}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax`)
  t.match(s.cookieHeader(value, session, T0, true), /; Secure; SameSite=Lax$/)
  t.equal(clearSessionCookieHeader(false), `${SESSION_COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`)
  const header = `other=1; x${SESSION_COOKIE_NAME}=no; ${SESSION_COOKIE_NAME}=${value}; z=2`
  t.equal(getCookie(header, SESSION_COOKIE_NAME), value, 'read back from a Cookie header')
})

t.test('verification is cached: a hit costs far less than a full verification', async (t) => {
  const s = new Sessions({ keys: [K2, K1] })
  const g = gens({ alice: 0 })
  const { value } = s.issueSession('alice', 0, T0)
  const uncached = new Sessions({ keys: [K2, K1], cacheSize: 0 })
  const N = 20_000
  const time = (fn: () => void) => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < N; i++) fn()
    return Number(process.hrtime.bigint() - start) / N
  }
  time(() => s.verifySession(value, T0, g))
  const cachedNs = time(() => s.verifySession(value, T0, g))
  const uncachedNs = time(() => uncached.verifySession(value, T0, g))
  t.comment(`verify: cached ${cachedNs.toFixed(0)} ns, uncached ${uncachedNs.toFixed(0)} ns`)
  t.ok(cachedNs * 3 < uncachedNs, `cached (${cachedNs.toFixed(0)} ns) at least 3× faster than uncached (${uncachedNs.toFixed(0)} ns)`)
})

t.test('a short idle timeout brings the refresh interval down with it (a quarter of it, at most an hour)', async (t) => {
  const keys = ['k'.repeat(44)]
  t.equal(new Sessions({ keys }).refreshAfterMs, 3600_000, 'default idle timeout (3 days): one hour')
  t.equal(new Sessions({ keys, idleTimeoutMs: 20 * 60_000 }).refreshAfterMs, 5 * 60_000, '20 min idle: refreshed after 5 min')
  t.equal(new Sessions({ keys, idleTimeoutMs: 0 }).refreshAfterMs, 3600_000, 'no idle timeout: one hour')
  t.equal(new Sessions({ keys, idleTimeoutMs: 60_000, refreshAfterMs: 30_000 }).refreshAfterMs, 30_000, 'an explicit value wins')
  const s = new Sessions({ keys, idleTimeoutMs: 20 * 60_000 })
  const { value } = s.issueSession('alice', 0, 0)
  const at = (ms: number) => s.verifySession(value, ms, () => 0)
  t.match(at(4 * 60_000), { ok: true, refresh: false })
  t.match(at(6 * 60_000), { ok: true, refresh: true }, 'due well before the idle timeout')
})
