import t from 'tap'
import { Sessions } from '../../src/auth/sessions.ts'
import { createToken } from '../../src/auth/tokens.ts'
import { startHub, logIn, formXsrf, type TestHub } from '../helpers/hub.ts'
import { startEchoBackend } from '../helpers/echo-backend.ts'
import { Browser } from '../helpers/cookie-jar.ts'
import type { Teardown } from '../helpers/monohub-proxy.ts'

const HTML = { accept: 'text/html,application/xhtml+xml' }

async function hubWithAlice(t: Teardown, env: Record<string, string> = {}, dataDir?: string): Promise<{ h: TestHub; backend: { hits: number } }> {
  const h = await startHub(t, { env, ...(dataDir === undefined ? {} : { dataDir }) })
  const backend = await startEchoBackend(t, 'alice-server')
  await h.hub.routes.set('/user/alice', { target: backend.url, user: 'alice', server_name: '' })
  if (!Object.hasOwn(h.hub.store.state.users, 'alice')) {
    const admin = new Browser(h.url)
    await logIn(admin, 'admin', h.adminPassword ?? env.MONOHUB_ADMIN_PASSWORD!)
    for (const name of ['alice', 'bob']) await admin.submit('/hub/admin/users', { name, password: `${name}-password`, _xsrf: await formXsrf(admin, '/hub/admin') })
  }
  return { h, backend }
}

async function browserOf(h: TestHub, name: string): Promise<Browser> {
  const b = new Browser(h.url)
  const { response } = await logIn(b, name, `${name}-password`)
  if (response.status !== 200) throw new Error(`login of ${name} failed`)
  return b
}

t.test('the owner reaches /user/alice/, another user gets 403, an admin passes', async (t) => {
  const { h, backend } = await hubWithAlice(t)
  const alice = await browserOf(h, 'alice')
  const res = await alice.fetch('/user/alice/lab?x=1', { headers: HTML })
  t.equal(res.status, 200)
  t.equal(((await res.json()) as { url: string }).url, '/user/alice/lab?x=1')
  const bob = await browserOf(h, 'bob')
  const other = await bob.fetch('/user/alice/', { headers: HTML })
  t.equal(other.status, 403)
  t.match(await other.text(), /belongs to &#39;alice&#39;/)
  const otherApi = await bob.fetch('/user/alice/api/status')
  t.equal(otherApi.status, 403)
  t.match(((await otherApi.json()) as { message: string }).message, /belongs to 'alice'/)
  const admin = new Browser(h.url)
  await logIn(admin, 'admin', h.adminPassword!)
  t.equal((await admin.fetch('/user/alice/')).status, 200)
  t.equal(backend.hits, 2, 'only the allowed requests reached the server')
})

t.test('without a session: a browser is sent to login with a safe next, an API client gets 401 JSON', async (t) => {
  const { h, backend } = await hubWithAlice(t)
  const browser = await fetch(`${h.url}/user/alice/tree?path=a%2Fb`, { headers: HTML, redirect: 'manual' })
  t.equal(browser.status, 302)
  t.equal(browser.headers.get('location'), `/hub/login?next=${encodeURIComponent('/user/alice/tree?path=a%2Fb')}`)
  const api = await fetch(`${h.url}/user/alice/api/contents`)
  t.equal(api.status, 401)
  const body = (await api.json()) as { status: number; message: string }
  t.equal(body.status, 401)
  t.match(body.message, /needs authentication/)
  t.equal(backend.hits, 0)

  // After logging in through that redirect, the browser comes back to the server.
  const b = new Browser(h.url)
  const first = await b.fetch('/user/alice/tree', { headers: HTML })
  const xsrf = await formXsrf(b, first.headers.get('location')!)
  const { visited, response } = await b.submit(first.headers.get('location')!, { username: 'alice', password: 'alice-password', _xsrf: xsrf })
  t.equal(new URL(visited.at(-1)!).pathname, '/user/alice/tree')
  t.equal(response.status, 200)
})

t.test('forged, expired, wrong-key, malformed and other-user cookies are refused at /user/alice/', async (t) => {
  const { h, backend } = await hubWithAlice(t)
  const alice = await browserOf(h, 'alice')
  const good = alice.cookies.get('monohub-session')!
  const generation = h.hub.store.state.users.alice!.sessionGeneration
  const tail = good.at(-2) === 'A' ? 'B' : 'A'
  const forged = good.slice(0, -2) + tail + good.at(-1)
  const payloadSwap = (() => {
    const [kid, payload, sig] = good.split('.') as [string, string, string]
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { u: string }
    data.u = 'bob'
    return `${kid}.${Buffer.from(JSON.stringify(data)).toString('base64url')}.${sig}`
  })()
  const expired = h.hub.sessions.issueSession('alice', generation, Date.now() - 30 * 86400_000).value
  const wrongKey = new Sessions({ keys: ['another-key-that-this-hub-never-had-0123456789'] }).issueSession('alice', generation, Date.now()).value
  const bobCookie = (await browserOf(h, 'bob')).cookies.get('monohub-session')!
  const cases: Array<[string, string, number]> = [
    ['forged signature', forged, 401],
    ['payload changed to another user', payloadSwap, 401],
    ['expired', expired, 401],
    ['signed by a key the hub does not have', wrongKey, 401],
    ['malformed', 'not-a-cookie', 401],
    ['another user', bobCookie, 403],
  ]
  for (const [what, cookie, status] of cases) {
    const res = await fetch(`${h.url}/user/alice/`, { headers: { cookie: `monohub-session=${cookie}` } })
    t.equal(res.status, status, what)
    const page = await fetch(`${h.url}/user/alice/`, { headers: { cookie: `monohub-session=${cookie}`, ...HTML }, redirect: 'manual' })
    t.equal(page.status, status === 401 ? 302 : 403, `${what} (browser)`)
    await page.body?.cancel()
  }
  t.equal(backend.hits, 0)
  t.equal((await fetch(`${h.url}/user/alice/`, { headers: { cookie: `monohub-session=${good}` } })).status, 200, 'the real cookie still works')
})

t.test('the session is checked on every request, also on one keep-alive connection', async (t) => {
  const { h } = await hubWithAlice(t)
  const alice = await browserOf(h, 'alice')
  t.equal((await alice.fetch('/user/alice/')).status, 200)
  await h.hub.store.commit({ op: 'user.bumpGeneration', name: 'alice' })
  t.equal((await alice.fetch('/user/alice/')).status, 401, 'refused right after "log out everywhere"')
})

t.test('an API token with access:servers for alice passes; one without it gets 403; a bad token 401', async (t) => {
  const { h, backend } = await hubWithAlice(t)
  const now = Date.now()
  const good = createToken({ owner: 'alice', now, scopes: ['access:servers!user=alice'] })
  const narrow = createToken({ owner: 'alice', now, scopes: ['read:users!user=alice'] })
  const bobs = createToken({ owner: 'bob', now })
  for (const tok of [good, narrow, bobs]) await h.hub.store.commit({ op: 'token.put', token: tok.record })
  const get = (auth: string) => fetch(`${h.url}/user/alice/api/kernels`, { headers: { authorization: auth } })
  t.equal((await get(`token ${good.token}`)).status, 200)
  t.equal((await get(`Bearer ${good.token}`)).status, 200)
  t.equal((await get(`token ${narrow.token}`)).status, 403, 'a token without access:servers')
  t.equal((await get(`token ${bobs.token}`)).status, 403, "bob's token")
  t.equal((await get('token mh_not-a-real-token')).status, 401)
  t.equal(backend.hits, 2)
})

t.test('routes without a user (static targets) pass without credentials', async (t) => {
  const h = await startHub(t)
  const backend = await startEchoBackend(t, 'static')
  await h.hub.routes.set('/static', { target: backend.url })
  t.equal((await fetch(`${h.url}/static/x`)).status, 200)
})

t.test('key rotation: a cookie signed by the old key still works after a new first key is added, and not once the old key is dropped', async (t) => {
  const oldKey = 'old-cookie-key-0123456789abcdefghijklmnop'
  const newKey = 'new-cookie-key-0123456789abcdefghijklmnop'
  const first = await hubWithAlice(t, { MONOHUB_COOKIE_SECRETS: oldKey, MONOHUB_ADMIN_PASSWORD: 'admin-password-1' })
  const cookie = (await browserOf(first.h, 'alice')).cookies.get('monohub-session')!
  const dataDir = first.h.dataDir
  await first.h.close()

  const rotated = await hubWithAlice(t, { MONOHUB_COOKIE_SECRETS: `${newKey},${oldKey}` }, dataDir)
  t.equal((await fetch(`${rotated.h.url}/user/alice/`, { headers: { cookie: `monohub-session=${cookie}` } })).status, 200, 'old cookie verifies with the second key')
  const fresh = (await browserOf(rotated.h, 'alice')).cookies.get('monohub-session')!
  t.not(fresh.split('.')[0], cookie.split('.')[0], 'new cookies are signed by the new key')
  await rotated.h.close()

  const dropped = await hubWithAlice(t, { MONOHUB_COOKIE_SECRETS: newKey }, dataDir)
  t.equal((await fetch(`${dropped.h.url}/user/alice/`, { headers: { cookie: `monohub-session=${cookie}` } })).status, 401, 'old key dropped: old cookie refused')
  t.equal((await fetch(`${dropped.h.url}/user/alice/`, { headers: { cookie: `monohub-session=${fresh}` } })).status, 200)
})

t.test("the hub's session cookie never reaches a user's server (an admin visiting alice's server keeps theirs)", async (t) => {
  const { h } = await hubWithAlice(t)
  const admin = new Browser(h.url)
  await logIn(admin, 'admin', h.adminPassword!)
  admin.cookies.set('_xsrf', 'server-own-cookie')
  const res = await admin.fetch('/user/alice/api/status')
  t.equal(res.status, 200)
  const seen = (await res.json()) as { headers: Record<string, string | undefined> }
  t.notMatch(seen.headers.cookie ?? '', /monohub-session/, 'no session cookie upstream')
  t.match(seen.headers.cookie ?? '', /(^|; )_xsrf=server-own-cookie($|;)/, "the server's own cookies still pass")
})
