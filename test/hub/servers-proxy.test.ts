/**
 * Users' servers as a person meets them through the proxy: /user/<name>/
 * without a server leads the owner to the spawn page (others 403, anonymous
 * to login), Start → progress → the path they asked for; a server killed
 * from outside loses its route; servers outlive a hub restart; an idle
 * server is culled and starts again on the next visit.
 */
import t from 'tap'
import { Browser } from '../helpers/cookie-jar.ts'
import { startHub } from '../helpers/hub.ts'
import { browserFor, pidAlive, serverPid, serversHub, until, xsrfIn } from './servers-hub.ts'

const html = { accept: 'text/html' }

/** Follows the proxy to the spawn page, presses Start, waits for ready; returns the pending page's URL. */
async function startThroughPages(b: Browser, path: string): Promise<string> {
  const toSpawn = await b.fetch(path, { headers: html })
  if (toSpawn.status !== 302) throw new Error(`expected a redirect to the spawn page, got ${toSpawn.status}`)
  const spawn = toSpawn.headers.get('location')!
  const page = await (await b.fetch(spawn)).text()
  const posted = await b.fetch(spawn.split('?')[0]!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _xsrf: xsrfIn(page), next: new URL(spawn, b.origin).searchParams.get('next') ?? '' }).toString(),
  })
  if (posted.status !== 303) throw new Error(`expected 303 to the progress page, got ${posted.status}: ${await posted.text()}`)
  return posted.headers.get('location')!
}

t.test('the owner visiting /user/<name>/… without a server goes to the spawn page with next; another user gets 403; anonymous browsers log in; API clients get 424', async (t) => {
  const h = await serversHub(t)
  const alice = await browserFor(t, h, 'alice')
  const bob = await browserFor(t, h, 'bob')
  const own = await alice.fetch('/user/alice/tree/notebook.ipynb?kernel=1', { headers: html })
  t.equal(own.status, 302)
  t.equal(own.headers.get('location'), `/hub/spawn/alice?next=${encodeURIComponent('/user/alice/tree/notebook.ipynb?kernel=1')}`)
  const other = await bob.fetch('/user/alice/tree', { headers: html })
  t.equal(other.status, 403)
  t.match(await other.text(), /belongs to &#39;alice&#39;|belongs to 'alice'/)
  const anonymous = await new Browser(h.url).fetch('/user/alice/tree', { headers: html })
  t.equal(anonymous.status, 302)
  t.equal(anonymous.headers.get('location'), `/hub/login?next=${encodeURIComponent('/user/alice/tree')}`)
  const api = await alice.fetch('/user/alice/api/status')
  t.equal(api.status, 424)
  t.match((await api.json()).message, /not running/)
  const spawnPage = await bob.fetch('/hub/spawn/alice')
  t.equal(spawnPage.status, 403, 'nor may bob open alice\'s spawn page')
  const admin = await browserFor(t, h, 'admin')
  const adminVisit = await admin.fetch('/user/alice/tree', { headers: html })
  t.equal(adminVisit.headers.get('location'), `/hub/spawn/alice?next=${encodeURIComponent('/user/alice/tree')}`, 'an admin may start it')
  t.equal((await new Browser(h.url).fetch('/user/nobody/', { headers: html })).status, 404, 'no such user: the proxy\'s 404')
})

t.test('Start on the spawn page → progress page → the path first asked for, proxied to the new server', async (t) => {
  const h = await serversHub(t)
  const alice = await browserFor(t, h, 'alice')
  const pending = await startThroughPages(alice, '/user/alice/tree?x=1')
  t.match(pending, /^\/hub\/spawn-pending\/alice\?next=/)
  const progress = await (await alice.fetch(pending)).text()
  t.match(progress, /<progress|\/user\/alice\/tree\?x=1/)
  t.ok(await until(() => h.hub.servers.status('alice')?.ready === true), 'the server becomes ready')
  serverPid(h.hub, 'alice')
  const ready = await alice.fetch(pending)
  t.equal(ready.status, 302)
  t.equal(ready.headers.get('location'), '/user/alice/tree?x=1')
  const proxied = await alice.fetch('/user/alice/tree?x=1')
  t.equal(proxied.status, 200)
  t.equal((await proxied.json()).path, '/user/alice/tree?x=1', 'the server got the original path')

  const home = await (await alice.fetch('/hub/home')).text()
  t.match(home, /state-running/)
  t.match(home, /href="\/user\/alice\/"/, 'an Open link')
  const stop = await alice.fetch('/hub/stop/alice', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _xsrf: xsrfIn(home) }).toString() })
  t.equal(stop.status, 303)
  t.equal(h.hub.servers.status('alice'), undefined, 'Stop stopped it')
  const noCsrf = await alice.fetch('/hub/spawn/alice', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })
  t.equal(noCsrf.status, 403, 'Start needs the form token')
  t.equal(h.hub.servers.status('alice'), undefined)
})

t.test('a server killed from outside loses its route, and its owner sees the spawn page again', async (t) => {
  const h = await serversHub(t)
  const alice = await browserFor(t, h, 'alice')
  await h.hub.servers.start('alice')
  const pid = serverPid(h.hub, 'alice')
  t.equal((await alice.fetch('/user/alice/')).status, 200)
  process.kill(-pid, 'SIGKILL')
  t.ok(await until(() => h.hub.routes.get('/user/alice/') === undefined, 10_000), 'the poll loop removed the route')
  t.equal(h.hub.servers.status('alice'), undefined)
  const again = await alice.fetch('/user/alice/lab', { headers: html })
  t.equal(again.status, 302)
  t.match(again.headers.get('location'), /^\/hub\/spawn\/alice\?next=/)
})

t.test('servers keep running through a hub restart: still routed, same process', async (t) => {
  const first = await serversHub(t)
  const alice = await browserFor(t, first, 'alice')
  await first.hub.servers.start('alice')
  const pid = serverPid(first.hub, 'alice')
  await first.close()
  t.ok(pidAlive(pid), 'closing the hub left the server running')

  const second = await startHub(t, { dataDir: first.dataDir, config: { allowRoot: true }, deps: { serverPollIntervalMs: 200 } })
  t.teardown(() => second.hub.servers.stopAll())
  t.equal(second.hub.servers.status('alice')?.ready, true, 're-adopted')
  t.equal(serverPid(second.hub, 'alice'), pid, 'the same process')
  const again = new Browser(second.url)
  for (const [name, value] of alice.cookies) again.cookies.set(name, value)
  const response = await again.fetch('/user/alice/after-restart')
  t.equal(response.status, 200, 'the session and the route survived')
  t.equal((await response.json()).pid, pid)
})

t.test('an idle server is culled, and the next visit starts it again', async (t) => {
  const h = await serversHub(t, { config: { cullIdleTimeout: 1, cullInterval: 1 } })
  const alice = await browserFor(t, h, 'alice')
  await h.hub.servers.start('alice')
  const pid = serverPid(h.hub, 'alice')
  t.ok(await until(() => h.hub.servers.status('alice') === undefined, 8000), 'culled after a second or two of idleness')
  t.ok(await until(() => !pidAlive(pid), 5000), 'its process is gone')
  const pending = await startThroughPages(alice, '/user/alice/notebooks/a.ipynb')
  t.ok(await until(() => h.hub.servers.status('alice')?.ready === true), 'started again')
  serverPid(h.hub, 'alice')
  const back = await alice.fetch(pending)
  t.equal(back.headers.get('location'), '/user/alice/notebooks/a.ipynb')
  t.equal((await alice.fetch('/user/alice/notebooks/a.ipynb')).status, 200)
})

t.test('the built-in demo server opens through the proxy (the proxy sends its token)', async (t) => {
  const h = await serversHub(t, { config: { cmd: 'demo' } })
  const alice = await browserFor(t, h, 'alice')
  await h.hub.servers.start('alice')
  serverPid(h.hub, 'alice')
  const page = await alice.fetch('/user/alice/', { headers: html })
  t.equal(page.status, 200)
  t.match(await page.text(), /demo/i)
})
