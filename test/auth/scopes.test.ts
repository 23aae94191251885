import t from 'tap'
import { expandScopes, hasScope, parseScope, validateScopes, roleScopes, userScopes, intersectScopes, scopeReach, ScopeError, SCOPE_TABLE } from '../../src/auth/scopes.ts'

t.test('scopes imply their sub-scopes', async (t) => {
  const s = expandScopes(['admin:users'])
  for (const implied of ['users', 'read:users', 'list:users', 'read:users:name', 'read:users:activity', 'users:activity', 'admin:auth_state', 'delete:users']) {
    t.ok(s.has(implied), `admin:users implies ${implied}`)
  }
  t.notOk(s.has('servers'), 'but not servers')
  t.ok(hasScope(['users'], 'read:users'))
  t.ok(hasScope(['servers'], 'read:servers'))
  t.ok(hasScope(['servers'], 'delete:servers'))
  t.ok(hasScope(['admin:servers'], 'read:servers'))
  t.ok(hasScope(['tokens'], 'read:tokens'))
  t.ok(hasScope(['admin:groups'], 'read:groups'))
  t.notOk(hasScope(['read:users'], 'users'), 'implication goes one way')
  t.notOk(hasScope(['read:servers'], 'access:servers'))
})

t.test('every sub-scope named in the table is itself a scope', async (t) => {
  for (const [scope, subs] of Object.entries(SCOPE_TABLE)) for (const sub of subs) t.ok(Object.hasOwn(SCOPE_TABLE, sub), `${scope} → ${sub}`)
})

t.test('filters: !user=, !server=user/name, !group=', async (t) => {
  const s = expandScopes(['access:servers!user=alice', 'read:users!group=physics', 'servers!server=bob/gpu'])
  t.ok(hasScope(s, 'access:servers', { user: 'alice' }))
  t.ok(hasScope(s, 'access:servers', { server: 'alice/' }), "user filter covers the user's servers")
  t.ok(hasScope(s, 'access:servers', { server: 'alice/named' }))
  t.notOk(hasScope(s, 'access:servers', { user: 'bob' }))
  t.notOk(hasScope(s, 'access:servers', { server: 'alicex/' }))
  t.notOk(hasScope(s, 'access:servers'), 'no target: a filtered scope does not grant it everywhere')
  t.ok(hasScope(s, 'read:users', { user: 'carol', groups: ['chemistry', 'physics'] }))
  t.notOk(hasScope(s, 'read:users', { user: 'carol', groups: ['chemistry'] }))
  t.ok(hasScope(s, 'read:users:name', { user: 'carol', groups: ['physics'] }), 'filters carry to sub-scopes')
  t.ok(hasScope(s, 'servers', { server: 'bob/gpu' }))
  t.ok(hasScope(s, 'delete:servers', { server: 'bob/gpu' }))
  t.notOk(hasScope(s, 'servers', { server: 'bob/' }), "a server filter does not cover the user's other servers")
  t.notOk(hasScope(s, 'servers', { user: 'bob' }))
  t.ok(hasScope(['read:groups!group=physics'], 'read:groups', { group: 'physics' }))
  t.ok(hasScope(['access:services!service=grader'], 'access:services', { service: 'grader' }))
  t.notOk(hasScope(['access:services!service=grader'], 'access:services', { service: 'other' }))
})

t.test('roles: user gets self (own resources), admin gets the admin scopes', async (t) => {
  const alice = userScopes({ name: 'alice', admin: false })
  t.ok(hasScope(alice, 'access:servers', { server: 'alice/' }))
  t.ok(hasScope(alice, 'servers', { user: 'alice' }))
  t.ok(hasScope(alice, 'tokens', { user: 'alice' }))
  t.ok(hasScope(alice, 'read:users:activity', { user: 'alice' }))
  t.notOk(hasScope(alice, 'access:servers', { server: 'bob/' }), "not other users' servers")
  t.notOk(hasScope(alice, 'admin:users', { user: 'alice' }), 'cannot make themselves admin')
  t.notOk(hasScope(alice, 'users', { user: 'alice' }))
  t.notOk(hasScope(alice, 'list:users'))
  t.notOk(hasScope(alice, 'admin-ui'))
  const root = userScopes({ name: 'root', admin: true })
  for (const s of ['admin-ui', 'admin:users', 'admin:servers', 'list:users', 'read:users', 'read:users:activity', 'read:servers', 'delete:servers', 'access:servers', 'tokens', 'admin:groups', 'read:hub', 'proxy', 'shutdown']) {
    t.ok(hasScope(root, s, { user: 'bob', server: 'bob/' }), `admin has ${s}`)
  }
  t.same(roleScopes('server', { user: 'alice', server: 'alice/' }), ['users:activity!user=alice', 'access:servers!server=alice/'])
  t.throws(() => roleScopes('server', {}), ScopeError)
  t.throws(() => roleScopes('king'), { code: 'BAD_SCOPE', message: /unknown role 'king'/ })
})

t.test('the idle culler scopes work as JupyterHub documents them', async (t) => {
  const culler = expandScopes(['list:users', 'read:users:activity', 'read:servers', 'delete:servers', 'admin:users'])
  t.ok(hasScope(culler, 'list:users'))
  t.ok(hasScope(culler, 'delete:servers', { server: 'x/' }))
})

t.test('tokens: inherit = everything the owner may do; requests beyond the owner are dropped', async (t) => {
  const owner = userScopes({ name: 'alice', admin: false })
  const inherited = expandScopes(['inherit'], { name: 'alice', scopes: owner })
  t.same([...inherited].sort(), [...owner].sort())
  const self = expandScopes(['self'], { name: 'alice' })
  t.ok(hasScope(self, 'servers', { user: 'alice' }))
  const requested = expandScopes(['read:users!user=alice', 'access:servers!server=alice/lab', 'admin:users', 'access:servers!user=bob'])
  const granted = intersectScopes(requested, owner)
  t.ok(hasScope(granted, 'read:users', { user: 'alice' }))
  t.ok(hasScope(granted, 'access:servers', { server: 'alice/lab' }), 'a server of the owner, under a user filter')
  t.notOk(hasScope(granted, 'admin:users'), 'not beyond the owner')
  t.notOk(hasScope(granted, 'access:servers', { user: 'bob' }))
  const adminGranted = intersectScopes(expandScopes(['access:servers!user=bob']), userScopes({ name: 'root', admin: true }))
  t.ok(hasScope(adminGranted, 'access:servers', { user: 'bob' }), 'an admin may narrow an unfiltered scope')
})

t.test('bad scope names and filters are refused with the fix', async (t) => {
  t.throws(() => parseScope('read:everything'), { code: 'BAD_SCOPE', status: 400, message: /unknown scope 'read:everything' — known scopes: self/ })
  t.throws(() => parseScope('read:users!owner=alice'), { message: /use !user=<name>/ })
  t.throws(() => parseScope('read:users!user='), ScopeError)
  t.throws(() => parseScope('servers!server=alice'), { message: /<user>\/<server name>/ })
  t.throws(() => validateScopes(['read:users', '__proto__']), ScopeError)
  t.same(parseScope('servers!server=alice/'), { base: 'servers', filter: { kind: 'server', value: 'alice/' } })
  t.doesNotThrow(() => validateScopes(['read:users!user=alice', 'access:servers!server=a/b', 'groups!group=g', 'inherit']))
})

t.test('scopeReach tells a list endpoint what it may show', async (t) => {
  t.equal(scopeReach(expandScopes(['admin:users']), 'list:users'), 'all')
  t.equal(scopeReach(expandScopes(['read:hub']), 'list:users'), null)
  const reach = scopeReach(expandScopes(['list:users!group=physics', 'read:servers!server=bob/', 'list:users!user=zoe']), 'list:users')
  t.not(reach, 'all')
  if (reach !== null && reach !== 'all') {
    t.same([...reach.groups], ['physics'])
    t.same([...reach.users], ['zoe'])
  }
})
