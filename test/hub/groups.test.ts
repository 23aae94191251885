import t from 'tap'
import { makeHubContext, serveApi, addUser, addToken, login, call } from '../helpers/hub-context.ts'

t.test('groups: create, list (paged), read, add/remove members, properties, delete — admin token', async (t) => {
  const { hub } = await makeHubContext(t)
  await addUser(hub, 'root', { admin: true })
  await addUser(hub, 'alice')
  await addUser(hub, 'bob')
  const { token } = await addToken(hub, 'root')
  const { url } = await serveApi(t, hub)

  const created = await call(url, 'POST', '/groups/physics', { token, body: { users: ['alice'] } })
  t.equal(created.status, 201)
  t.same({ ...created.json, created: undefined }, { kind: 'group', name: 'physics', users: ['alice'], properties: {}, roles: [], created: undefined })
  t.equal((await call(url, 'POST', '/groups/physics', { token })).status, 409, 'twice: 409')
  const many = await call(url, 'POST', '/groups', { token, body: { groups: ['chemistry', 'biology'] } })
  t.equal(many.status, 201)
  t.same(many.json.map((g: { name: string }) => g.name), ['chemistry', 'biology'])

  const list = await call(url, 'GET', '/groups', { token })
  t.same(list.json.map((g: { name: string }) => g.name), ['biology', 'chemistry', 'physics'])
  const paged = await call(url, 'GET', '/groups?limit=2', { token, headers: { accept: 'application/jupyterhub-pagination+json' } })
  t.equal(paged.json.items.length, 2)
  t.equal(paged.json._pagination.total, 3)
  t.match(paged.json._pagination.next.url, /^http:\/\/127\.0\.0\.1:\d+\/hub\/api\/groups\?limit=2&offset=2$/)

  const added = await call(url, 'POST', '/groups/physics/users', { token, body: { users: ['bob'] } })
  t.equal(added.status, 200)
  t.same(added.json.users, ['alice', 'bob'])
  t.same((await call(url, 'GET', '/users/bob', { token })).json.groups, ['physics'], 'user models list their groups')
  t.equal((await call(url, 'POST', '/groups/physics/users', { token, body: { users: ['nobody'] } })).status, 400, 'unknown user: 400')
  const removed = await call(url, 'DELETE', '/groups/physics/users', { token, body: { users: ['alice'] } })
  t.same(removed.json.users, ['bob'])
  const props = await call(url, 'PUT', '/groups/physics/properties', { token, body: { course: 'PHY101' } })
  t.same(props.json.properties, { course: 'PHY101' })

  t.equal((await call(url, 'DELETE', '/groups/physics', { token })).status, 204)
  t.equal((await call(url, 'GET', '/groups/physics', { token })).status, 404)
  t.same((await call(url, 'GET', '/users/bob', { token })).json.groups, [], 'deleting a group removes it from its members')
  const bad = await call(url, 'POST', '/groups/a%2Fb', { token })
  t.equal(bad.status, 400)
  t.same(Object.keys(bad.json).sort(), ['message', 'status'])
})

t.test('groups: scopes — users cannot manage groups; !group= filters reach members; CSRF for cookies', async (t) => {
  const { hub } = await makeHubContext(t)
  await addUser(hub, 'root', { admin: true })
  await addUser(hub, 'alice', { groups: ['physics'] })
  await addUser(hub, 'bob', { groups: ['chemistry'] })
  const admin = await addToken(hub, 'root')
  const alice = await addToken(hub, 'alice')
  const { url } = await serveApi(t, hub)

  t.equal((await call(url, 'GET', '/groups', { token: alice.token })).status, 403, 'a user may not list groups')
  t.equal((await call(url, 'POST', '/groups/x', { token: alice.token })).status, 403, 'nor create one')
  t.equal((await call(url, 'DELETE', '/groups/physics', { token: alice.token })).status, 403, 'nor delete one')
  t.equal((await call(url, 'POST', '/groups/physics/users', { token: alice.token, body: { users: ['alice'] } })).status, 403, 'nor join one')

  const implicit = await call(url, 'GET', '/groups/physics', { token: admin.token })
  t.equal(implicit.status, 200, 'a group named by an authenticator exists through its members')
  t.same(implicit.json.users, ['alice'])

  // A token for the physics teacher: reads physics members only.
  const teacher = await addToken(hub, 'root', { scopes: ['read:users!group=physics', 'list:users!group=physics', 'read:groups!group=physics'] })
  const users = await call(url, 'GET', '/users', { token: teacher.token })
  t.same(users.json.map((u: { name: string }) => u.name), ['alice'], 'list:users!group=physics lists only members')
  t.equal((await call(url, 'GET', '/users/bob', { token: teacher.token })).status, 403, 'not others')
  t.equal((await call(url, 'GET', '/groups/physics', { token: teacher.token })).status, 200, 'read:groups!group=physics reads the group')
  t.equal((await call(url, 'GET', '/groups/chemistry', { token: teacher.token })).status, 403, 'not another')
  t.same((await call(url, 'GET', '/groups', { token: teacher.token })).json.map((g: { name: string }) => g.name), ['physics'])

  const session = login(hub, 'root')
  t.equal((await call(url, 'POST', '/groups/y', { cookie: session.cookie })).status, 403, 'cookie without X-XSRFToken: 403')
  t.equal((await call(url, 'POST', '/groups/y', { cookie: session.cookie, xsrf: session.xsrf })).status, 201, 'with it: 201')
})
