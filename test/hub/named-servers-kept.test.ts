/**
 * Named servers stay known when they stop (as in JupyterHub): listed on the
 * home page and in the user model with ?include_stopped_servers
 * (`stopped: true`, as JupyterHub; without it only active ones), counted toward the
 * per-user limit, their URL leading to THEIR spawn page — until removed
 * ({"remove": true} or the home page's Remove) or their user is deleted.
 * Real child processes (the tiny fixture server).
 */
import t, { type Test } from 'tap'
import { Browser } from '../helpers/cookie-jar.ts'
import { addToken, call } from '../helpers/hub-context.ts'
import { startHub } from '../helpers/hub.ts'
import { browserFor, pidAlive, serverPid, serversHub, until, xsrfIn } from './servers-hub.ts'

const html = { accept: 'text/html' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }
const named = { allowNamedServers: true }

/** Follows `path` to the spawn page it redirects to, presses Start there, and waits until that server is ready. */
async function startFromItsUrl(t: Test, b: Browser, path: string, expectSpawn: string): Promise<string> {
  const toSpawn = await b.fetch(path, { headers: html })
  t.equal(toSpawn.status, 302, `${path} redirects`)
  const spawn = toSpawn.headers.get('location')!
  t.equal(spawn, `${expectSpawn}?next=${encodeURIComponent(path)}`, `to ${expectSpawn}`)
  const page = await (await b.fetch(spawn)).text()
  const posted = await b.fetch(expectSpawn, { method: 'POST', headers: form, body: new URLSearchParams({ _xsrf: xsrfIn(page), next: path }).toString() })
  t.equal(posted.status, 303, 'Start → the progress page')
  return posted.headers.get('location')!
}

t.test('a stopped named server stays listed (API and home page), and its URL leads to its own spawn page, which starts it', async (t) => {
  const h = await serversHub(t, { config: named })
  const alice = await browserFor(t, h, 'alice')
  const { token } = await addToken(h.hub, 'admin')
  t.equal((await call(h.url, 'POST', '/users/alice/servers/p1', { token, body: { } })).status, 201)
  const firstPid = serverPid(h.hub, 'alice', 'p1')
  t.equal((await alice.fetch('/user/alice/p1/x')).status, 200, 'proxied while it runs')
  t.equal((await call(h.url, 'DELETE', '/users/alice/servers/p1', { token })).status, 204, 'stopped')
  t.notOk(pidAlive(firstPid), 'its process is gone')
  t.equal(h.hub.routes.get('/user/alice/p1/'), undefined, 'and its route')

  const model = (await call(h.url, 'GET', '/users/alice?include_stopped_servers', { token })).json
  t.match(model.servers.p1, { name: 'p1', ready: false, pending: null, stopped: true, url: '/user/alice/p1/', started: null })
  t.notOk('' in model.servers, 'the default server never ran: not listed')
  t.same((await call(h.url, 'GET', '/users/alice', { token })).json.servers, {}, 'without include_stopped_servers: active servers only, as JupyterHub')
  const list = (await call(h.url, 'GET', '/users?include_stopped_servers', { token })).json as Array<{ name: string; servers: Record<string, { stopped: boolean }> }>
  t.equal(list.find((u) => u.name === 'alice')?.servers.p1?.stopped, true, 'and in the users list')
  const inactive = (await call(h.url, 'GET', '/users?state=inactive', { token })).json as Array<{ name: string }>
  t.ok(inactive.some((u) => u.name === 'alice'), 'a user with only stopped servers is inactive')

  const home = await (await alice.fetch('/hub/home')).text()
  t.match(home, /<span class="name">p1<\/span><span class="badge state-stopped">stopped<\/span>/, 'listed as stopped on the home page')
  t.match(home, /action="\/hub\/spawn\/alice\/p1"/, 'with Start')
  t.match(home, /action="\/hub\/remove\/alice\/p1"/, 'and Remove')

  const pending = await startFromItsUrl(t, alice, '/user/alice/p1/tree?a=1', '/hub/spawn/alice/p1')
  t.match(pending, /^\/hub\/spawn-pending\/alice\/p1\?next=/, 'the progress page of p1')
  t.ok(await until(() => h.hub.servers.status('alice', 'p1')?.ready === true), 'p1 starts again')
  serverPid(h.hub, 'alice', 'p1')
  t.equal(h.hub.servers.status('alice'), undefined, 'the default server was not started')
  const landed = await alice.fetch(pending)
  t.equal(landed.headers.get('location'), '/user/alice/p1/tree?a=1')
  const inside = await alice.fetch('/user/alice/p1/tree?a=1')
  t.equal(inside.status, 200)
  t.equal((await inside.json()).path, '/user/alice/p1/tree?a=1', 'lands in p1')

  t.equal((await alice.fetch('/user/alice/never-started/', { headers: html })).headers.get('location'), `/hub/spawn/alice?next=${encodeURIComponent('/user/alice/never-started/')}`,
    'an unknown name is still a path inside the default server')
})

t.test('stopped named servers count toward the per-user limit; {"remove": true} forgets one (stopping it if it runs); the default server cannot be removed', async (t) => {
  const h = await serversHub(t, { config: { ...named, namedServerLimitPerUser: 1 } })
  const { token } = await addToken(h.hub, 'admin')
  await browserFor(t, h, 'alice')
  t.equal((await call(h.url, 'POST', '/users/alice/servers/one', { token })).status, 201)
  serverPid(h.hub, 'alice', 'one')
  t.equal((await call(h.url, 'DELETE', '/users/alice/servers/one', { token })).status, 204)
  const over = await call(h.url, 'POST', '/users/alice/servers/two', { token })
  t.equal(over.status, 400, 'a second name is refused while the stopped one is kept')
  t.match(over.json.message, /stopped ones count too/)
  t.equal((await call(h.url, 'POST', '/users/alice/servers/one', { token })).status, 201, 'the kept one starts again')
  const pid = serverPid(h.hub, 'alice', 'one')

  const noDefault = await call(h.url, 'DELETE', '/users/alice/server', { token, body: { remove: true } })
  t.equal(noDefault.status, 400)
  t.match(noDefault.json.message, /cannot be removed/)

  t.equal((await call(h.url, 'DELETE', '/users/alice/servers/one', { token, body: { remove: true } })).status, 204, 'removed while running')
  t.notOk(pidAlive(pid), 'it was stopped first')
  t.equal(h.hub.servers.status('alice', 'one', { includeStopped: true }), undefined, 'and is forgotten')
  t.same((await call(h.url, 'GET', '/users/alice?include_stopped_servers', { token })).json.servers, {})
  t.equal((await call(h.url, 'POST', '/users/alice/servers/two', { token })).status, 201, 'the slot is free again')
  serverPid(h.hub, 'alice', 'two')
  t.equal((await call(h.url, 'DELETE', '/users/alice/servers/nothing', { token, body: { remove: true } })).status, 204, 'removing an unknown name is a no-op')
})

t.test('Remove on the home page needs the form token, forgets the server, and its URL goes back to meaning the default server', async (t) => {
  const h = await serversHub(t, { config: named })
  const alice = await browserFor(t, h, 'alice')
  await h.hub.servers.start('alice', 'p1')
  serverPid(h.hub, 'alice', 'p1')
  await h.hub.servers.stop('alice', 'p1')
  const noCsrf = await alice.fetch('/hub/remove/alice/p1', { method: 'POST', headers: form, body: '' })
  t.equal(noCsrf.status, 403)
  t.equal(h.hub.servers.status('alice', 'p1', { includeStopped: true })?.stopped, true, 'still known')
  const bob = await browserFor(t, h, 'bob')
  const bobHome = await (await bob.fetch('/hub/home')).text()
  const notHis = await bob.fetch('/hub/remove/alice/p1', { method: 'POST', headers: form, body: new URLSearchParams({ _xsrf: xsrfIn(bobHome) }).toString() })
  t.equal(notHis.status, 403, 'another user may not remove it')
  const home = await (await alice.fetch('/hub/home')).text()
  const removed = await alice.fetch('/hub/remove/alice/p1', { method: 'POST', headers: form, body: new URLSearchParams({ _xsrf: xsrfIn(home) }).toString() })
  t.equal(removed.status, 303)
  t.equal(removed.headers.get('location'), '/hub/home')
  t.equal(h.hub.servers.status('alice', 'p1', { includeStopped: true }), undefined, 'forgotten')
  t.notMatch(await (await alice.fetch('/hub/home')).text(), /<span class="name">p1<\/span>/, 'gone from the home page')
  t.match((await alice.fetch('/user/alice/p1/', { headers: html })).headers.get('location'), /^\/hub\/spawn\/alice\?next=/)
})

t.test('a culled named server comes back on the next visit to its URL', async (t) => {
  const h = await serversHub(t, { config: { ...named, cullIdleTimeout: 1, cullInterval: 1 } })
  const alice = await browserFor(t, h, 'alice')
  await h.hub.servers.start('alice', 'lab')
  const pid = serverPid(h.hub, 'alice', 'lab')
  t.ok(await until(() => h.hub.servers.status('alice', 'lab', { includeStopped: true })?.stopped === true, 8000), 'culled, and still known')
  t.ok(await until(() => !pidAlive(pid), 5000), 'its process is gone')
  const pending = await startFromItsUrl(t, alice, '/user/alice/lab/notebooks/a.ipynb', '/hub/spawn/alice/lab')
  t.ok(await until(() => h.hub.servers.status('alice', 'lab')?.ready === true), 'started again')
  serverPid(h.hub, 'alice', 'lab')
  t.equal((await alice.fetch(pending)).headers.get('location'), '/user/alice/lab/notebooks/a.ipynb')
})

t.test('known named servers survive a hub restart, and are forgotten when their user is deleted (also for a new user of the same name)', async (t) => {
  const first = await serversHub(t, { config: named })
  await browserFor(t, first, 'alice')
  await browserFor(t, first, 'bob')
  await first.hub.servers.start('alice', 'p1')
  serverPid(first.hub, 'alice', 'p1')
  await first.hub.servers.stop('alice', 'p1')
  await first.hub.servers.start('bob', 'b1')
  serverPid(first.hub, 'bob', 'b1')
  await first.hub.servers.stop('bob', 'b1')
  await first.close()

  const second = await startHub(t, { dataDir: first.dataDir, config: { ...named, allowRoot: true }, deps: { serverPollIntervalMs: 200 } })
  t.equal(second.hub.servers.status('alice', 'p1', { includeStopped: true })?.stopped, true, 'still known after a restart')
  const { token } = await addToken(second.hub, 'admin')
  t.equal((await call(second.url, 'DELETE', '/users/alice', { token })).status, 204, 'alice deleted')
  t.equal(second.hub.servers.status('alice', 'p1', { includeStopped: true }), undefined, 'her named server is forgotten at once')
  t.equal((await call(second.url, 'POST', '/users/alice', { token })).status, 201, 'a new alice')
  t.same((await call(second.url, 'GET', '/users/alice?include_stopped_servers', { token })).json.servers, {}, 'who does not inherit it')
  t.equal(second.hub.servers.status('bob', 'b1', { includeStopped: true })?.stopped, true, 'bob\'s is untouched')
  t.ok(second.hub.servers.list(undefined, { includeStopped: true }).every((s) => s.user !== 'alice'), 'and the list agrees')
})
