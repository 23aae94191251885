import t from 'tap'
import { createToken, lookupToken, hashToken, tokenFromAuthorization, tokensOf, tokenModel, isTokenExpired, TOKEN_PREFIX, type TokenRecord } from '../../src/auth/tokens.ts'

const T0 = Date.UTC(2026, 0, 1)

t.test('a new token is random, prefixed, and only its hash is kept', async (t) => {
  const { token, record } = createToken({ owner: 'alice', note: 'culler', scopes: ['list:users'], now: T0 })
  t.match(token, /^mh_[A-Za-z0-9_-]{43}$/)
  t.ok(token.startsWith(TOKEN_PREFIX))
  t.equal(record.hash, hashToken(token))
  t.equal(record.hash.length, 64)
  t.notOk(JSON.stringify(record).includes(token), 'the record does not contain the token')
  t.notOk(JSON.stringify(record).includes(token.slice(8)), 'nor most of it')
  t.equal(record.prefix, token.slice(0, 7))
  t.same([record.owner, record.note, record.scopes, record.kind, record.created, record.expiresAt], ['alice', 'culler', ['list:users'], 'api', T0, undefined])
  t.not(createToken({ owner: 'alice', now: T0 }).token, token)
  t.same(createToken({ owner: 'alice', now: T0 }).record.scopes, ['inherit'], 'default: everything the owner may do')
})

t.test('lookup by token finds the record; unknown, malformed and expired tokens are refused', async (t) => {
  const a = createToken({ owner: 'alice', now: T0, expiresIn: 3600 })
  const b = createToken({ owner: 'bob', now: T0 })
  const tokens: Record<string, TokenRecord> = { [a.record.id]: a.record, [b.record.id]: b.record }
  t.same(lookupToken(tokens, a.token, T0 + 1000), { ok: true, record: a.record })
  t.same(lookupToken(tokens, b.token, T0 + 1e12), { ok: true, record: b.record }, 'no expiry')
  t.same(lookupToken(tokens, a.token, T0 + 3600_000), { ok: false, reason: 'expired' })
  t.ok(isTokenExpired(a.record, T0 + 3600_000))
  t.same(lookupToken(tokens, a.token + 'x', T0), { ok: false, reason: 'unknown' })
  t.same(lookupToken(tokens, createToken({ owner: 'alice', now: T0 }).token, T0), { ok: false, reason: 'unknown' })
  t.same(lookupToken(tokens, '', T0), { ok: false, reason: 'malformed' })
  t.same(lookupToken(tokens, 'x'.repeat(1000), T0), { ok: false, reason: 'malformed' })
  // A record whose id matches but whose hash differs (id collision) is not accepted.
  const twisted = { ...b.record, id: a.record.id }
  t.same(lookupToken({ [a.record.id]: twisted }, a.token, T0), { ok: false, reason: 'unknown' })
})

t.test('Authorization: token <t> and Bearer <t>', async (t) => {
  t.equal(tokenFromAuthorization('token abc'), 'abc')
  t.equal(tokenFromAuthorization('Token abc'), 'abc')
  t.equal(tokenFromAuthorization('Bearer abc'), 'abc')
  t.equal(tokenFromAuthorization('bearer  abc '), 'abc')
  t.equal(tokenFromAuthorization('Basic YWxpY2U6cHc='), undefined)
  t.equal(tokenFromAuthorization('token'), undefined)
  t.equal(tokenFromAuthorization('token '), undefined)
  t.equal(tokenFromAuthorization(undefined), undefined)
})

t.test("a user's tokens, newest first, in JupyterHub's model without the hash", async (t) => {
  const x = createToken({ owner: 'alice', note: 'old', now: T0 })
  const y = createToken({ owner: 'alice', note: 'new', now: T0 + 5, expiresIn: 60 })
  const z = createToken({ owner: 'bob', now: T0 })
  const tokens = { [x.record.id]: x.record, [y.record.id]: y.record, [z.record.id]: z.record }
  t.same(tokensOf(tokens, 'alice').map((r) => r.note), ['new', 'old'])
  const model = tokenModel({ ...y.record, lastUsed: T0 + 10 })
  t.same(model, {
    id: y.record.id,
    kind: 'api_token',
    user: 'alice',
    note: 'new',
    scopes: ['inherit'],
    prefix: y.record.prefix,
    created: new Date(T0 + 5).toISOString(),
    expires_at: new Date(T0 + 5 + 60_000).toISOString(),
    last_activity: new Date(T0 + 10).toISOString(),
  })
  t.notOk('hash' in model)
})
