import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import t from 'tap'
import { makeHubContext, serveApi, addUser, addToken, login, call, T0 } from '../helpers/hub-context.ts'

async function setup(t: Parameters<typeof makeHubContext>[0], durable = false) {
  const ctx = await makeHubContext(t, { durable })
  const { hub } = ctx
  await addUser(hub, 'root', { admin: true })
  await addUser(hub, 'alice')
  await addUser(hub, 'bob')
  const admin = (await addToken(hub, 'root')).token
  const alice = (await addToken(hub, 'alice', { note: 'first' })).token
  const { url } = await serveApi(t, hub)
  return { ...ctx, url, admin, alice }
}

t.test('a new token is shown once, in `token`, with the token model; the store keeps only its hash', async (t) => {
  const { hub, url, alice, dataDir } = await setup(t, true)
  const r = await call(url, 'POST', '/users/alice/tokens', { token: alice, body: { note: 'laptop', expires_in: 3600, scopes: ['read:users!user=alice'] } })
  t.equal(r.status, 201)
  t.match(r.json.token, /^mh_[A-Za-z0-9_-]{43}$/)
  t.match(r.json, { kind: 'api_token', user: 'alice', note: 'laptop', scopes: ['read:users!user=alice'], created: new Date(T0).toISOString(), expires_at: new Date(T0 + 3600_000).toISOString(), last_activity: null })
  t.match(r.json.id, /^t[0-9a-f]{16}$/)
  t.notOk('hash' in r.json, 'never the hash')
  const works = await call(url, 'GET', '/user', { token: r.json.token })
  t.equal(works.status, 200)
  t.same(works.json.scopes.sort(), ['read:users!user=alice', 'read:users:activity!user=alice', 'read:users:groups!user=alice', 'read:users:name!user=alice'])
  const listed = await call(url, 'GET', '/users/alice/tokens', { token: alice })
  t.notOk(JSON.stringify(listed.json).includes(r.json.token), 'never listed again')
  await hub.store.compact()
  let onDisk = ''
  for (const file of await readdir(dataDir)) if (file.startsWith('hub.')) onDisk += await readFile(path.join(dataDir, file), 'utf8')
  t.ok(onDisk.includes(r.json.id), 'the store file holds the token record')
  t.notOk(onDisk.includes(r.json.token), 'but not the token')
  t.notOk(onDisk.includes(r.json.token.slice(3)), 'nor its random part')
})

t.test('the default token inherits its owner; scopes beyond the owner are 403 with a message; unknown scopes 400', async (t) => {
  const { url, alice, admin } = await setup(t)
  const inherit = await call(url, 'POST', '/users/alice/tokens', { token: alice, body: {} })
  t.equal(inherit.status, 201)
  t.same(inherit.json.scopes, ['inherit'])
  t.equal((await call(url, 'POST', '/users/alice/tokens', { token: alice })).status, 201, 'no body at all')
  const greedy = await call(url, 'POST', '/users/alice/tokens', { token: alice, body: { scopes: ['admin:users'] } })
  t.equal(greedy.status, 403)
  t.match(greedy.json.message, /cannot have scopes its owner 'alice' or the caller does not hold: admin:users/)
  const forAlice = await call(url, 'POST', '/users/alice/tokens', { token: admin, body: { scopes: ['admin:users'] } })
  t.equal(forAlice.status, 403, 'an admin cannot give alice admin scopes either')
  const unknown = await call(url, 'POST', '/users/alice/tokens', { token: alice, body: { scopes: ['fly'] } })
  t.equal(unknown.status, 400)
  t.match(unknown.json.message, /unknown scope 'fly'/)
  const badExpiry = await call(url, 'POST', '/users/alice/tokens', { token: alice, body: { expires_in: 0 } })
  t.equal(badExpiry.status, 400)
  t.match(badExpiry.json.message, /expires_in/)
})

t.test('a narrow token cannot mint a wider one', async (t) => {
  const { hub, url } = await setup(t)
  const narrow = (await addToken(hub, 'alice', { scopes: ['tokens!user=alice'] })).token
  const r = await call(url, 'POST', '/users/alice/tokens', { token: narrow, body: { scopes: ['access:servers!user=alice'] } })
  t.equal(r.status, 403)
  const same = await call(url, 'POST', '/users/alice/tokens', { token: narrow, body: { scopes: ['read:tokens!user=alice'] } })
  t.equal(same.status, 201, 'within its own scopes is fine')
})

t.test("a user cannot make, list or revoke another user's tokens; an admin can", async (t) => {
  const { hub, url, alice, admin } = await setup(t)
  const bobs = await addToken(hub, 'bob')
  t.equal((await call(url, 'POST', '/users/bob/tokens', { token: alice })).status, 403)
  t.equal((await call(url, 'GET', '/users/bob/tokens', { token: alice })).status, 403)
  t.equal((await call(url, 'GET', `/users/bob/tokens/${bobs.id}`, { token: alice })).status, 403)
  t.equal((await call(url, 'DELETE', `/users/bob/tokens/${bobs.id}`, { token: alice })).status, 403)
  t.equal((await call(url, 'DELETE', `/users/alice/tokens/${bobs.id}`, { token: alice })).status, 404, "bob's token is not alice's")
  const made = await call(url, 'POST', '/users/bob/tokens', { token: admin, body: { note: 'for bob' } })
  t.equal(made.status, 201)
  t.equal(made.json.user, 'bob')
  t.equal((await call(url, 'GET', '/users/bob/tokens', { token: admin })).json.api_tokens.length, 2)
  t.equal((await call(url, 'GET', '/users/nobody/tokens', { token: admin })).status, 404)
})

t.test('list and read tokens: {api_tokens: […]} newest first; GET by id; 404 for an unknown id', async (t) => {
  const ctx = await setup(t)
  const { hub, url, alice } = ctx
  ctx.advance(1000)
  const second = await addToken(hub, 'alice', { note: 'second' })
  const list = await call(url, 'GET', '/users/alice/tokens', { token: alice })
  t.equal(list.status, 200)
  t.same(Object.keys(list.json), ['api_tokens'])
  t.same(list.json.api_tokens.map((x: { note: string }) => x.note), ['second', 'first'])
  const one = await call(url, 'GET', `/users/alice/tokens/${second.id}`, { token: alice })
  t.equal(one.status, 200)
  t.equal(one.json.id, second.id)
  t.equal(one.json.note, 'second')
  const missing = await call(url, 'GET', '/users/alice/tokens/tdeadbeef', { token: alice })
  t.same(missing.json, { status: 404, message: "user 'alice' has no token 'tdeadbeef'" })
})

t.test("the list shows a token's last use at once, before it is written to the store", async (t) => {
  const ctx = await setup(t)
  const { hub, url, alice } = ctx
  ctx.advance(5000)
  await call(url, 'GET', '/user', { token: alice })
  const list = await call(url, 'GET', '/users/alice/tokens', { token: alice })
  t.equal(list.json.api_tokens[0].last_activity, new Date(T0 + 5000).toISOString())
  const stored = Object.values(hub.store.state.tokens).find((x) => x.owner === 'alice')
  t.equal(stored?.lastUsed, undefined, 'no store write per request')
})

t.test('DELETE a token → 204 and it stops working; with a session it needs X-XSRFToken', async (t) => {
  const { hub, url, alice } = await setup(t)
  const doomed = await addToken(hub, 'alice', { note: 'doomed' })
  const browser = login(hub, 'alice')
  t.equal((await call(url, 'DELETE', `/users/alice/tokens/${doomed.id}`, { cookie: browser.cookie })).status, 403)
  const r = await call(url, 'DELETE', `/users/alice/tokens/${doomed.id}`, { cookie: browser.cookie, xsrf: browser.xsrf })
  t.equal(r.status, 204)
  t.equal((await call(url, 'GET', '/user', { token: doomed.token })).status, 403)
  t.equal((await call(url, 'DELETE', `/users/alice/tokens/${doomed.id}`, { token: alice })).status, 404)
  const made = await call(url, 'POST', '/users/alice/tokens', { cookie: browser.cookie, xsrf: browser.xsrf, body: { note: 'from the browser' } })
  t.equal(made.status, 201, 'a session with its XSRF token makes tokens')
})
