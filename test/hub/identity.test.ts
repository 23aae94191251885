import t from 'tap'
import { makeHubContext, addUser, addToken, login } from '../helpers/hub-context.ts'
import { identifyRequest, requireCsrf, flushTokenUse, tokenLastUsed, CLI_IDENTITY_NAME } from '../../src/hub/identity.ts'
import { createCliToken, writeRuntimeFile, readRuntimeFile, removeRuntimeFile, runtimeFilePath } from '../../src/hub/runtime-file.ts'
import { hasScope } from '../../src/auth/scopes.ts'
import { stat, writeFile } from 'node:fs/promises'

t.test('identifyRequest: token (token/Bearer), cookie, nothing', async (t) => {
  const { hub } = await makeHubContext(t)
  await addUser(hub, 'alice')
  const { token, id } = await addToken(hub, 'alice')
  const byToken = identifyRequest(hub, { headers: { authorization: `Bearer ${token}` } })
  t.match(byToken, { name: 'alice', admin: false, via: 'token', tokenId: id })
  t.ok(byToken !== null && hasScope(byToken.scopes, 'access:servers', { server: 'alice/' }))
  const { cookie, sid } = login(hub, 'alice')
  t.match(identifyRequest(hub, { headers: { cookie } }), { name: 'alice', via: 'session', sessionId: sid })
  t.equal(identifyRequest(hub, { headers: {} }), null)
  t.equal(identifyRequest(hub, { headers: { cookie: 'monohub-session=forged.x.y' } }), null)
})

t.test('a session ends when the user is logged out everywhere (generation bump)', async (t) => {
  const { hub } = await makeHubContext(t)
  await addUser(hub, 'alice')
  const { cookie } = login(hub, 'alice')
  await hub.store.commit({ op: 'user.bumpGeneration', name: 'alice' })
  t.equal(identifyRequest(hub, { headers: { cookie } }), null)
})

t.test('token use is kept in memory and written once by flushTokenUse', async (t) => {
  const ctx = await makeHubContext(t)
  const { hub } = ctx
  await addUser(hub, 'alice')
  const { token, id } = await addToken(hub, 'alice')
  let commits = 0
  const commit = hub.store.commit.bind(hub.store)
  ;(hub.store as { commit: typeof commit }).commit = async (op) => {
    commits++
    return commit(op)
  }
  for (let i = 0; i < 50; i++) {
    ctx.advance(10)
    identifyRequest(hub, { headers: { authorization: `token ${token}` } })
  }
  t.equal(commits, 0, 'no write per request')
  t.equal(tokenLastUsed(hub, hub.store.state.tokens[id]!), hub.now())
  await flushTokenUse(hub)
  t.equal(commits, 1, 'one write per token')
  t.equal(hub.store.state.tokens[id]?.lastUsed, hub.now())
  await flushTokenUse(hub)
  t.equal(commits, 1, 'nothing new, nothing written')
})

t.test('requireCsrf: only cookie callers of state-changing methods need the header', async (t) => {
  const { hub } = await makeHubContext(t)
  await addUser(hub, 'alice')
  const { token } = await addToken(hub, 'alice')
  const browser = login(hub, 'alice')
  const session = identifyRequest(hub, { headers: { cookie: browser.cookie } })!
  const viaToken = identifyRequest(hub, { headers: { authorization: `token ${token}` } })!
  t.doesNotThrow(() => requireCsrf(hub, session, { method: 'GET', headers: {} }))
  t.doesNotThrow(() => requireCsrf(hub, viaToken, { method: 'POST', headers: {} }))
  t.throws(() => requireCsrf(hub, session, { method: 'POST', headers: {} }), { status: 403, code: 'CSRF' })
  t.doesNotThrow(() => requireCsrf(hub, session, { method: 'POST', headers: { 'x-xsrftoken': browser.xsrf } }))
})

t.test("the CLI token is an in-memory admin identity of this hub only; the runtime file is 0600", async (t) => {
  const { hub, dataDir } = await makeHubContext(t)
  const other = await makeHubContext(t)
  const token = createCliToken(hub)
  const who = identifyRequest(hub, { headers: { authorization: `token ${token}` } })
  t.match(who, { name: CLI_IDENTITY_NAME, admin: true, via: 'token' })
  t.ok(who !== null && hasScope(who.scopes, 'admin:users'))
  t.equal(identifyRequest(other.hub, { headers: { authorization: `token ${token}` } }), null, 'another hub does not know it')
  t.same(Object.keys(hub.store.state.tokens), [], 'never stored')
  const replaced = createCliToken(hub)
  t.equal(identifyRequest(hub, { headers: { authorization: `token ${token}` } }), null, 'a new start replaces the old one')
  t.ok(identifyRequest(hub, { headers: { authorization: `token ${replaced}` } }))

  t.equal(await readRuntimeFile(dataDir), null, 'no hub, no file')
  await writeRuntimeFile(dataDir, { url: 'http://127.0.0.1:8000', token: replaced })
  t.equal((await stat(runtimeFilePath(dataDir))).mode & 0o777, 0o600)
  t.same(await readRuntimeFile(dataDir), { url: 'http://127.0.0.1:8000', token: replaced, pid: process.pid })
  await writeFile(runtimeFilePath(dataDir), '{"url": 1}')
  await t.rejects(readRuntimeFile(dataDir), { code: 'RUNTIME_FILE_BAD', message: /lacks "url" or "token" — restart the hub/ })
  await writeFile(runtimeFilePath(dataDir), 'nope')
  await t.rejects(readRuntimeFile(dataDir), { message: /not valid JSON/ })
  await removeRuntimeFile(dataDir)
  t.equal(await readRuntimeFile(dataDir), null)
})
