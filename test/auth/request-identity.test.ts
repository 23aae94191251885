import t from 'tap'
import { RequestIdentifier } from '../../src/auth/request-identity.ts'
import { Sessions, SESSION_COOKIE_NAME } from '../../src/auth/sessions.ts'
import { emptyHubState, hubReducer, newUserRecord } from '../../src/auth/records.ts'
import { createToken } from '../../src/auth/tokens.ts'
import { hasScope } from '../../src/auth/scopes.ts'

const T0 = Date.UTC(2026, 0, 1)

function setup() {
  const state = emptyHubState()
  hubReducer(state, { op: 'user.put', user: newUserRecord('alice', T0) })
  hubReducer(state, { op: 'user.put', user: newUserRecord('root', T0, { admin: true }) })
  hubReducer(state, { op: 'user.put', user: newUserRecord('pending', T0, { approved: false }) })
  const sessions = new Sessions({ keys: ['k'.repeat(40)] })
  const id = new RequestIdentifier(sessions, () => state)
  const cookieFor = (name: string) => `${SESSION_COOKIE_NAME}=${sessions.issueSession(name, state.users[name]!.sessionGeneration, T0).value}`
  return { state, sessions, id, cookieFor }
}

t.test('a session cookie identifies its user with their scopes', async (t) => {
  const { id, cookieFor } = setup()
  const who = id.identify({ cookie: `a=1; ${cookieFor('alice')}` }, T0 + 1000)
  t.equal(who.via, 'session')
  if (who.via !== 'session') return
  t.equal(who.user.name, 'alice')
  t.ok(hasScope(who.scopes, 'access:servers', { server: 'alice/' }))
  t.notOk(hasScope(who.scopes, 'access:servers', { server: 'root/' }), "not another user's server")
  const admin = id.identify({ cookie: cookieFor('root') }, T0)
  t.ok(admin.via === 'session' && hasScope(admin.scopes, 'access:servers', { server: 'alice/' }), 'admins reach every server')
})

t.test('no credentials, a revoked session, a deleted user are refused with a reason', async (t) => {
  const { id, cookieFor, state } = setup()
  t.same(id.identify({}, T0), { via: 'none', reason: 'no-credentials' })
  t.same(id.identify({ cookie: 'other=1' }, T0), { via: 'none', reason: 'no-credentials' })
  t.same(id.identify({ cookie: `${SESSION_COOKIE_NAME}=junk` }, T0), { via: 'none', reason: 'malformed' })
  const cookie = cookieFor('alice')
  hubReducer(state, { op: 'user.bumpGeneration', name: 'alice' })
  t.same(id.identify({ cookie }, T0), { via: 'none', reason: 'revoked' })
  const fresh = cookieFor('alice')
  hubReducer(state, { op: 'user.delete', name: 'alice' })
  t.same(id.identify({ cookie: fresh }, T0), { via: 'none', reason: 'unknown-user' })
})

t.test('a token identifies its owner with its scopes, never beyond the owner', async (t) => {
  const { id, state, cookieFor } = setup()
  const narrow = createToken({ owner: 'alice', scopes: ['read:users!user=alice'], now: T0 })
  const greedy = createToken({ owner: 'alice', scopes: ['admin:users', 'access:servers!server=alice/'], now: T0 })
  const full = createToken({ owner: 'alice', now: T0, expiresIn: 60 })
  for (const x of [narrow, greedy, full]) hubReducer(state, { op: 'token.put', token: x.record })
  const a = id.identify({ authorization: `token ${narrow.token}` }, T0)
  t.ok(a.via === 'token' && hasScope(a.scopes, 'read:users', { user: 'alice' }))
  t.ok(a.via === 'token' && !hasScope(a.scopes, 'access:servers', { server: 'alice/' }), 'only what it was given')
  const g = id.identify({ authorization: `Bearer ${greedy.token}` }, T0)
  t.ok(g.via === 'token' && !hasScope(g.scopes, 'admin:users'), 'admin:users dropped: alice is not admin')
  t.ok(g.via === 'token' && hasScope(g.scopes, 'access:servers', { server: 'alice/' }))
  const f = id.identify({ authorization: `token ${full.token}` }, T0)
  t.ok(f.via === 'token' && hasScope(f.scopes, 'servers', { user: 'alice' }), 'inherit: everything alice may do')
  t.same(id.identify({ authorization: `token ${full.token}` }, T0 + 60_000), { via: 'none', reason: 'expired-token' })
  t.same(id.identify({ authorization: 'token mh_nope', cookie: cookieFor('alice') }, T0), { via: 'none', reason: 'bad-token' }, 'a bad token is not rescued by a cookie')
})

t.test('a pending user\'s token does not work', async (t) => {
  const { id, state } = setup()
  const x = createToken({ owner: 'pending', now: T0 })
  hubReducer(state, { op: 'token.put', token: x.record })
  t.same(id.identify({ authorization: `token ${x.token}` }, T0), { via: 'none', reason: 'bad-token' })
})

t.test('a user made admin gets admin scopes at once (memo keyed by the admin flag)', async (t) => {
  const { id, state, cookieFor } = setup()
  const cookie = cookieFor('alice')
  const before = id.identify({ cookie }, T0)
  t.ok(before.via === 'session' && !hasScope(before.scopes, 'admin-ui'))
  hubReducer(state, { op: 'user.put', user: { ...state.users.alice!, admin: true } })
  const after = id.identify({ cookie }, T0)
  t.ok(after.via === 'session' && hasScope(after.scopes, 'admin-ui'))
})
