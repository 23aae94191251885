import t from 'tap'
import { Throttle, LoginThrottle, throttleMessage } from '../../src/auth/throttle.ts'

const T0 = 1_000_000
const MIN = 60_000

t.test('five failures within five minutes lock the key out; the wait is reported', async (t) => {
  const th = new Throttle()
  for (let i = 0; i < 4; i++) t.same(th.fail('1.2.3.4', T0 + i * 1000), { allowed: true }, `failure ${i + 1} still allowed`)
  t.same(th.fail('1.2.3.4', T0 + 4000), { allowed: false, retryAfterSeconds: 60 })
  t.same(th.check('1.2.3.4', T0 + 4000 + 30_000), { allowed: false, retryAfterSeconds: 30 })
  t.same(th.check('1.2.3.4', T0 + 4000 + MIN), { allowed: true }, 'allowed again after the lockout')
  t.same(th.check('5.6.7.8', T0 + 4000), { allowed: true }, 'other keys unaffected')
})

t.test('failures spread beyond the window do not lock out', async (t) => {
  const th = new Throttle()
  for (let i = 0; i < 20; i++) t.ok(th.fail('k', T0 + i * 2 * MIN).allowed)
})

t.test('lockouts grow exponentially up to the maximum, and a quiet key starts over', async (t) => {
  const th = new Throttle({ maxFailures: 2, lockoutMs: MIN, maxLockoutMs: 8 * MIN })
  let now = T0
  const waits: number[] = []
  for (let round = 0; round < 6; round++) {
    th.fail('k', now)
    const d = th.fail('k', now)
    t.notOk(d.allowed)
    if (!d.allowed) {
      waits.push(d.retryAfterSeconds / 60)
      now += d.retryAfterSeconds * 1000
    }
  }
  t.same(waits, [1, 2, 4, 8, 8, 8])
  now += 8 * MIN
  th.fail('k', now)
  const d = th.fail('k', now)
  t.same(d, { allowed: false, retryAfterSeconds: 60 }, 'back to the first lockout after a quiet period')
})

t.test('success clears the record', async (t) => {
  const th = new Throttle({ maxFailures: 3 })
  th.fail('k', T0)
  th.fail('k', T0)
  th.succeed('k')
  th.fail('k', T0)
  th.fail('k', T0)
  t.ok(th.check('k', T0).allowed)
})

t.test('memory stays bounded under a flood of keys', async (t) => {
  const th = new Throttle({ maxKeys: 100 })
  for (let i = 0; i < 10_000; i++) th.fail(`10.0.${i >> 8}.${i & 255}`, T0 + i)
  t.equal(th.size, 100)
  // The most recent failures are the ones remembered.
  for (let j = 0; j < 4; j++) th.fail('10.0.39.15', T0 + 20_000)
  t.notOk(th.check('10.0.39.15', T0 + 20_000).allowed)
})

t.test('a login is throttled by address and by user name; the longer wait wins', async (t) => {
  const lt = new LoginThrottle({ user: { maxFailures: 3, lockoutMs: 5 * MIN } })
  // Spread over addresses: the user-name throttle catches it.
  lt.fail('1.1.1.1', 'alice', T0)
  lt.fail('2.2.2.2', 'alice', T0)
  const d = lt.fail('3.3.3.3', 'alice', T0)
  t.same(d, { allowed: false, retryAfterSeconds: 300 })
  t.same(lt.check('4.4.4.4', 'alice', T0), { allowed: false, retryAfterSeconds: 300 })
  t.ok(lt.check('4.4.4.4', 'bob', T0).allowed, 'other users still log in from new addresses')
  // Spread over names: the address throttle catches it.
  for (const name of ['a', 'b', 'c', 'd']) lt.fail('9.9.9.9', name, T0)
  t.same(lt.fail('9.9.9.9', 'e', T0), { allowed: false, retryAfterSeconds: 60 })
  t.notOk(lt.check('9.9.9.9', 'zed', T0).allowed)
  lt.succeed('9.9.9.9', 'e')
  t.ok(lt.check('9.9.9.9', 'zed', T0).allowed)
})

t.test('the message says when to try again', async (t) => {
  t.equal(throttleMessage(42), 'Too many failed logins — try again in 42 s.')
  t.equal(throttleMessage(600), 'Too many failed logins — try again in 10 min.')
})
