import t from 'tap'
import { makeHubContext, serveApi, addUser, addToken, login, call, T0 } from '../helpers/hub-context.ts'

async function setup(t: Parameters<typeof makeHubContext>[0], settings = {}) {
  const ctx = await makeHubContext(t, { settings })
  const { hub } = ctx
  await addUser(hub, 'root', { admin: true })
  await addUser(hub, 'alice')
  const admin = (await addToken(hub, 'root')).token
  const alice = (await addToken(hub, 'alice')).token
  const { url } = await serveApi(t, hub)
  return { ...ctx, url, admin, alice }
}

t.test('an admin lists users as a bare list of JupyterHub user models', async (t) => {
  const { url, admin } = await setup(t)
  const r = await call(url, 'GET', '/users', { token: admin })
  t.equal(r.status, 200)
  t.same(r.json.map((u: { name: string }) => u.name), ['alice', 'root'], 'by creation time, then name')
  t.same(r.json[0], {
    kind: 'user', name: 'alice', admin: false, roles: ['user'], groups: [], created: new Date(T0).toISOString(),
    last_activity: null, server: null, servers: {}, pending: null,
  })
})

t.test('with the pagination media type the list is a page with an absolute next.url', async (t) => {
  const { hub, url, admin } = await setup(t)
  for (let i = 0; i < 5; i++) await addUser(hub, `u${i}`)
  const accept = { accept: 'application/jupyterhub-pagination+json' }
  const first = await call(url, 'GET', '/users?limit=3&name_filter=u', { token: admin, headers: accept })
  t.equal(first.status, 200)
  t.same(first.json.items.map((u: { name: string }) => u.name), ['u0', 'u1', 'u2'])
  t.same(first.json._pagination, { offset: 0, limit: 3, total: 5, next: { offset: 3, limit: 3, url: `${url}/hub/api/users?limit=3&name_filter=u&offset=3` } })
  const next = await call(url, 'GET', new URL(first.json._pagination.next.url).pathname.slice('/hub/api'.length) + new URL(first.json._pagination.next.url).search, { token: admin, headers: accept })
  t.same(next.json.items.map((u: { name: string }) => u.name), ['u3', 'u4'])
  t.equal(next.json._pagination.next, null)
  const big = await call(url, 'GET', '/users?limit=5000', { token: admin, headers: accept })
  t.equal(big.json._pagination.limit, 200, 'limit is capped at 200')
  const dflt = await call(url, 'GET', '/users', { token: admin, headers: accept })
  t.equal(dflt.json._pagination.limit, 200, 'default limit 200')
  t.equal((await call(url, 'GET', '/users?offset=-1', { token: admin })).status, 400)
  t.equal((await call(url, 'GET', '/users?limit=abc', { token: admin })).status, 400)
})

t.test('next.url uses the public URL when one is configured', async (t) => {
  const { hub, url, admin } = await setup(t, { publicUrl: 'https://hub.example.org' })
  await addUser(hub, 'zed')
  const r = await call(url, 'GET', '/users?limit=1', { token: admin, headers: { accept: 'application/jupyterhub-pagination+json' } })
  t.equal(r.json._pagination.next.url, 'https://hub.example.org/hub/api/users?limit=1&offset=1')
})

t.test('state=active|ready give no users (no servers yet), inactive gives all, anything else is 400', async (t) => {
  const { url, admin } = await setup(t)
  t.same((await call(url, 'GET', '/users?state=active', { token: admin })).json, [])
  t.same((await call(url, 'GET', '/users?state=ready', { token: admin })).json, [])
  t.equal((await call(url, 'GET', '/users?state=inactive', { token: admin })).json.length, 2)
  const bad = await call(url, 'GET', '/users?state=sleepy', { token: admin })
  t.equal(bad.status, 400)
  t.match(bad.json.message, /state/)
  t.match(bad.json.message, '(one of: ready, active, inactive)', 'and names the values it takes')
})

t.test('scopes: read:users lists but cannot create; a user token cannot list or read another user', async (t) => {
  const { hub, url, alice } = await setup(t)
  const reader = (await addToken(hub, 'root', { scopes: ['read:users'] })).token
  t.equal((await call(url, 'GET', '/users', { token: reader })).status, 200)
  t.equal((await call(url, 'GET', '/users/alice', { token: reader })).status, 200)
  const create = await call(url, 'POST', '/users/bob', { token: reader })
  t.equal(create.status, 403)
  t.match(create.json.message, /requires the scope 'admin:users'/)
  const lister = (await addToken(hub, 'root', { scopes: ['list:users'] })).token
  t.same((await call(url, 'GET', '/users', { token: lister })).json[0], { kind: 'user', name: 'alice' }, 'list:users alone shows names only')
  t.same((await call(url, 'GET', '/users', { token: alice })).json.map((u: { name: string }) => u.name), ['alice'], 'a user lists only themself')
  t.equal((await call(url, 'GET', '/users/root', { token: alice })).status, 403)
  t.equal((await call(url, 'GET', '/users/nobody', { token: alice })).status, 403, 'a 403, not a 404: it tells nothing about who exists')
  t.equal((await call(url, 'GET', '/users/alice', { token: alice })).json.name, 'alice', 'a user reads themself')
  t.equal((await call(url, 'PATCH', '/users/alice', { token: alice, body: { admin: true } })).status, 403, 'and cannot make themself admin')
})

t.test("a demoted admin's token loses its admin power at once", async (t) => {
  const { hub, url, admin } = await setup(t)
  t.equal((await call(url, 'GET', '/users', { token: admin })).json.length, 2)
  t.equal((await call(url, 'POST', '/users/bob', { token: admin })).status, 201)
  await hub.store.commit({ op: 'user.put', user: { ...hub.store.state.users.root!, admin: false } })
  t.same((await call(url, 'GET', '/users', { token: admin })).json.map((u: { name: string }) => u.name), ['root'], 'sees only itself now')
  t.equal((await call(url, 'POST', '/users/carol', { token: admin })).status, 403)
  t.equal((await call(url, 'GET', '/users/alice', { token: admin })).status, 403)
  t.equal((await call(url, 'GET', '/user', { token: admin })).json.admin, false)
})

t.test('POST /users creates many (201), skips existing ones, 409 when all exist; bad names are 400', async (t) => {
  const { hub, url, admin } = await setup(t)
  const r = await call(url, 'POST', '/users', { token: admin, body: { usernames: ['Bob', 'carol', 'alice'], admin: true } })
  t.equal(r.status, 201)
  t.same(r.json.map((u: { name: string; admin: boolean }) => [u.name, u.admin]), [['bob', true], ['carol', true]], 'names normalised, existing skipped')
  t.equal(hub.store.state.users.bob?.admin, true)
  const again = await call(url, 'POST', '/users', { token: admin, body: { usernames: ['bob', 'carol'] } })
  t.equal(again.status, 409)
  t.same(again.json, { status: 409, message: 'all 2 users already exist' })
  const bad = await call(url, 'POST', '/users', { token: admin, body: { usernames: ['ok', '../etc'] } })
  t.equal(bad.status, 400)
  t.match(bad.json.message, /starts with '.'.*allowed: letters/)
  t.notOk(hub.store.state.users.ok, 'nothing created when one name is bad')
  t.equal((await call(url, 'POST', '/users', { token: admin, body: { usernames: [] } })).status, 400)
})

t.test('POST /users/<name> creates one (201), 409 when it exists, 400 for a bad name', async (t) => {
  const { hub, url, admin } = await setup(t)
  const r = await call(url, 'POST', '/users/dave', { token: admin, body: { admin: false } })
  t.equal(r.status, 201)
  t.equal(r.json.name, 'dave')
  t.ok(hub.store.state.users.dave)
  const dup = await call(url, 'POST', '/users/dave', { token: admin })
  t.same(dup.json, { status: 409, message: "user 'dave' already exists" })
  const bad = await call(url, 'POST', '/users/a%20b', { token: admin })
  t.equal(bad.status, 400)
  t.match(bad.json.message, /user name contains whitespace U\+0020/)
  const withPassword = await call(url, 'POST', '/users/erin', { token: admin, body: { password: 'correct horse battery' } })
  t.equal(withPassword.status, 201)
  t.match(hub.store.state.users.erin?.passwordHash, /^scrypt\$/)
  const short = await call(url, 'POST', '/users/fay', { token: admin, body: { password: 'short' } })
  t.equal(short.status, 400)
  t.match(short.json.message, /at least 8/)
})

t.test('GET /users/<name>: 404 for an unknown user (to an admin)', async (t) => {
  const { url, admin } = await setup(t)
  const r = await call(url, 'GET', '/users/nobody', { token: admin })
  t.same(r.json, { status: 404, message: "no user 'nobody'" })
  t.equal((await call(url, 'GET', '/users/ALICE', { token: admin })).json.name, 'alice', 'names are normalised on lookup')
})

t.test('PATCH /users/<name> sets admin and password, refuses renaming with a clear 400', async (t) => {
  const { hub, url, admin, alice } = await setup(t)
  const r = await call(url, 'PATCH', '/users/alice', { token: admin, body: { admin: true } })
  t.equal(r.status, 200)
  t.equal(r.json.admin, true)
  t.equal(hub.store.state.users.alice?.admin, true)
  const rename = await call(url, 'PATCH', '/users/alice', { token: admin, body: { name: 'alicia' } })
  t.equal(rename.status, 400)
  t.match(rename.json.message, /renaming users is not supported/)
  t.equal((await call(url, 'PATCH', '/users/alice', { token: admin, body: { name: 'Alice' } })).status, 200, 'the same name is no rename')
  const generation = hub.store.state.users.alice!.sessionGeneration
  t.equal((await call(url, 'PATCH', '/users/alice', { token: admin, body: { password: 'a new long password' } })).status, 200)
  t.match(hub.store.state.users.alice?.passwordHash, /^scrypt\$/)
  t.equal(hub.store.state.users.alice?.sessionGeneration, generation + 1, "a new password ends the user's sessions")
  t.equal((await call(url, 'GET', '/user', { token: alice })).status, 200, 'tokens keep working')
  t.equal((await call(url, 'PATCH', '/users/nobody', { token: admin, body: { admin: true } })).status, 404)
})

t.test('DELETE /users/<name> is 204 and deletes the user and their tokens; 404 unknown; 400 for yourself', async (t) => {
  const { hub, url, admin, alice } = await setup(t)
  t.equal((await call(url, 'DELETE', '/users/alice', { token: alice })).status, 403, 'a user cannot delete themself via delete:users')
  const r = await call(url, 'DELETE', '/users/alice', { token: admin })
  t.equal(r.status, 204)
  t.equal(r.json, undefined)
  t.notOk(hub.store.state.users.alice)
  t.same(Object.values(hub.store.state.tokens).filter((tk) => tk.owner === 'alice'), [])
  t.equal((await call(url, 'GET', '/user', { token: alice })).status, 403, "the deleted user's token is dead")
  t.equal((await call(url, 'DELETE', '/users/alice', { token: admin })).status, 404)
  const self = await call(url, 'DELETE', '/users/root', { token: admin })
  t.equal(self.status, 400)
  t.match(self.json.message, /cannot delete yourself/)
})

t.test('a session that outlived its user, or an unapproved account, has no identity', async (t) => {
  const { hub, url } = await setup(t)
  await addUser(hub, 'waiting', { approved: false })
  const { cookie } = login(hub, 'waiting')
  t.equal((await call(url, 'GET', '/user', { cookie })).status, 403)
})
