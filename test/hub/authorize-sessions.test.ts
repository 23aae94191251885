/**
 * Sessions as the PROXY sees them (requests to /user/<name>/…, not hub
 * pages): the cookie is re-issued on proxied responses when due, so someone
 * working only in their server stays logged in past the idle timeout; an
 * upstream's own Set-Cookie is never lost to it; "log out everywhere" and a
 * password change end access through the proxy at once, cache or not.
 */
import t, { type Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { startHub, logIn, formXsrf, type TestHub } from '../helpers/hub.ts'
import { startEchoBackend } from '../helpers/echo-backend.ts'
import { Browser } from '../helpers/cookie-jar.ts'

const MINUTE = 60_000

interface Clocked {
  h: TestHub
  advance(ms: number): void
}

/** A hub with an injectable clock, 1 h idle timeout (cookie re-issued after 15 min), users alice and bob, alice's server. */
async function clockedHub(t: Test): Promise<Clocked> {
  let clock = Date.now()
  const h = await startHub(t, { config: { sessionIdleTimeout: 3600 }, deps: { now: () => clock } })
  const backend = await startEchoBackend(t, 'alice-server')
  await h.hub.routes.set('/user/alice', { target: backend.url, user: 'alice', server_name: '' })
  const admin = new Browser(h.url)
  await logIn(admin, 'admin', h.adminPassword!)
  for (const name of ['alice', 'bob']) await admin.submit('/hub/admin/users', { name, password: `${name}-password`, _xsrf: await formXsrf(admin, '/hub/admin') })
  return { h, advance: (ms) => void (clock += ms) }
}

async function browserOf(h: TestHub, name: string): Promise<Browser> {
  const b = new Browser(h.url)
  const { response } = await logIn(b, name, `${name}-password`)
  if (response.status !== 200) throw new Error(`login of ${name} failed (${response.status})`)
  return b
}

function sessionSetCookie(res: Response): string | undefined {
  return res.headers.getSetCookie().find((line) => line.startsWith('monohub-session='))
}

t.test('working only in the server keeps the session alive past the idle timeout', async (t) => {
  const { h, advance } = await clockedHub(t)
  const alice = await browserOf(h, 'alice')
  const first = alice.cookies.get('monohub-session')
  const fresh = await alice.fetch('/user/alice/')
  t.equal(fresh.status, 200)
  t.notOk(sessionSetCookie(fresh), 'a fresh cookie is not re-issued on every request')

  advance(20 * MINUTE)
  const due = await alice.fetch('/user/alice/api/kernels')
  t.equal(due.status, 200)
  const set = sessionSetCookie(due)
  t.ok(set, 'the proxied response re-issues the cookie once it is due')
  t.match(set!, /HttpOnly/i)
  t.match(set!, /SameSite=Lax/i)
  t.match(set!, /Path=\//)
  t.not(alice.cookies.get('monohub-session'), first, 'the browser now holds the new cookie')
  const next = await alice.fetch('/user/alice/api/kernels')
  t.notOk(sessionSetCookie(next), 'and is not re-issued again right away')
  await next.body?.cancel()

  // 70 min after login, 50 min after the refresh: within the idle window only thanks to the refresh.
  advance(50 * MINUTE)
  t.equal((await alice.fetch('/user/alice/')).status, 200, 'still logged in through the server alone')
  const oldCookie = await fetch(`${h.url}/user/alice/`, { headers: { cookie: `monohub-session=${first}` } })
  t.equal(oldCookie.status, 401, 'the cookie that was never refreshed has ended (idle)')

  // Idle for longer than the timeout: the session ends.
  advance(61 * MINUTE + 20 * MINUTE)
  t.equal((await alice.fetch('/user/alice/')).status, 401)
})

t.test('the absolute lifetime is not extended by refreshes', async (t) => {
  let clock = Date.now()
  const h = await startHub(t, { config: { sessionIdleTimeout: 3600, sessionLifetime: 2 * 3600 }, deps: { now: () => clock } })
  const backend = await startEchoBackend(t, 'admin-server')
  await h.hub.routes.set('/user/admin', { target: backend.url, user: 'admin', server_name: '' })
  const admin = new Browser(h.url)
  await logIn(admin, 'admin', h.adminPassword!)
  for (let i = 0; i < 7; i++) {
    clock += 16 * MINUTE
    t.equal((await admin.fetch('/user/admin/')).status, 200, `${(i + 1) * 16} min`)
  }
  clock += 16 * MINUTE // 128 min > 2 h
  t.equal((await admin.fetch('/user/admin/')).status, 401, 'ended at the absolute lifetime')
})

t.test('an upstream\'s own Set-Cookie always reaches the browser; the session refresh then comes with the next response', async (t) => {
  const { h, advance } = await clockedHub(t)
  const server = http.createServer((req, res) => {
    if (req.url?.includes('sets-cookie') === true) res.setHeader('set-cookie', ['_xsrf=from-the-server; Path=/user/bob/', 'pref=dark; Path=/user/bob/'])
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  await h.hub.routes.set('/user/bob', { target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, user: 'bob', server_name: '' })
  const bob = await browserOf(h, 'bob')
  advance(20 * MINUTE)
  const withCookies = await bob.fetch('/user/bob/sets-cookie')
  t.equal(withCookies.status, 200)
  const cookies = withCookies.headers.getSetCookie()
  t.ok(cookies.some((c) => c.startsWith('_xsrf=from-the-server')), 'the server\'s cookies are intact')
  t.ok(cookies.some((c) => c.startsWith('pref=dark')))
  const plain = await bob.fetch('/user/bob/plain')
  t.ok(sessionSetCookie(plain) !== undefined || sessionSetCookie(withCookies) !== undefined, 'the session cookie is re-issued on this response or the one before')
})

t.test('"log out everywhere" ends access through the proxy at once, in every browser', async (t) => {
  const { h } = await clockedHub(t)
  const here = await browserOf(h, 'alice')
  const there = await browserOf(h, 'alice')
  t.equal((await there.fetch('/user/alice/')).status, 200)
  t.ok(h.hub.sessions.isCached(there.cookies.get('monohub-session')!), 'the other browser\'s cookie is in the verification cache')
  const { response } = await here.submit('/hub/logout', { everywhere: '1', _xsrf: await formXsrf(here, '/hub/logout') })
  t.match(await response.text(), /logged out in every browser/)
  t.equal((await there.fetch('/user/alice/')).status, 401, 'the other browser is refused on its very next request')
  const page = await there.fetch('/user/alice/', { headers: { accept: 'text/html' } })
  t.equal(page.status, 302, 'a browser is sent to log in again')
  t.equal((await here.fetch('/user/alice/')).status, 401)
  // Logging in again works.
  const again = await browserOf(h, 'alice')
  t.equal((await again.fetch('/user/alice/')).status, 200)
})

t.test('a password change ends the other sessions at the proxy at once; the changing browser goes on', async (t) => {
  const { h } = await clockedHub(t)
  const here = await browserOf(h, 'alice')
  const there = await browserOf(h, 'alice')
  t.equal((await there.fetch('/user/alice/')).status, 200)
  const { response } = await here.submit('/hub/change-password', {
    old_password: 'alice-password',
    new_password: 'a-new-password-for-alice',
    _xsrf: await formXsrf(here, '/hub/change-password'),
  })
  t.match(await response.text(), /Your password is changed/)
  t.equal((await there.fetch('/user/alice/')).status, 401, 'the other browser is out')
  t.equal((await here.fetch('/user/alice/')).status, 200, 'this browser got a new session')
})

t.test('a plain logout clears this browser\'s cookie; other browsers stay logged in', async (t) => {
  const { h } = await clockedHub(t)
  const here = await browserOf(h, 'alice')
  const there = await browserOf(h, 'alice')
  await here.submit('/hub/logout', { _xsrf: await formXsrf(here, '/hub/logout') })
  t.notOk(here.cookies.has('monohub-session'))
  t.equal((await here.fetch('/user/alice/')).status, 401)
  t.equal((await there.fetch('/user/alice/')).status, 200)
})
