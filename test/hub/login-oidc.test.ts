/**
 * OIDC logins through the hub's own pages, end to end: a real OpenID
 * Provider (oidc-provider 9, in-process on 127.0.0.1) with its login and
 * consent forms, the hub's /hub/oauth_login and /hub/oauth_callback, the
 * session cookie, and what the groups claim decides (allowed, admin, 403).
 */
import t, { type Test } from 'tap'
import { startHub, type TestHub } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'
import { loginAtProvider, startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts'
import { startEchoBackend } from '../helpers/echo-backend.ts'

const ACCOUNTS = [
  { sub: 'alice', preferred_username: 'Alice', groups: ['staff'] },
  { sub: 'root-of-all', preferred_username: 'carol', groups: ['hub-admins'] },
  { sub: 'mallory', preferred_username: 'mallory', groups: ['visitors'] },
  { sub: 'evil-name', preferred_username: '../etc', groups: ['staff'] },
]

interface Setup {
  h: TestHub
  provider: TestProvider
  callback: string
}

async function oidcHub(t: Test, extra: Record<string, unknown> = {}): Promise<Setup> {
  let callback = ''
  // The provider learns the hub's callback at its first request (the hub's port is known only once it listens).
  const provider = await startTestProvider({ accounts: ACCOUNTS, redirectUris: () => [callback] })
  t.teardown(() => provider.close())
  const h = await startHub(t, {
    config: {
      authenticator: {
        kind: 'oidc',
        issuer: provider.issuer,
        clientId: 'monohub',
        clientSecret: 'monohub-test-secret',
        scopes: ['openid', 'profile', 'groups'],
        groupsClaim: 'groups',
        allowInsecureHttp: true,
        label: 'Sign in with the test provider',
      },
      allowedGroups: ['staff'],
      adminGroups: ['hub-admins'],
      ...extra,
    },
  })
  callback = `${h.url}/hub/oauth_callback`
  return { h, provider, callback }
}

/** The hub's login button → the provider's forms as `login` → back to the hub's callback, followed. */
async function loginThroughHub(s: Setup, browser: Browser, login: string, next?: string): Promise<{ response: Response; visited: string[] }> {
  const start = await browser.fetch(`/hub/oauth_login${next === undefined ? '' : `?next=${encodeURIComponent(next)}`}`)
  if (start.status !== 302) throw new Error(`oauth_login answered ${start.status}`)
  const atProvider = start.headers.get('location')!
  const back = await loginAtProvider(atProvider, { login, callbackUrl: s.callback })
  return browser.navigate(back.href)
}

t.test('the login page offers the provider button, and the whole login ends on /hub/home with a session', async (t) => {
  const s = await oidcHub(t)
  const browser = new Browser(s.h.url)
  const page = await browser.navigate('/hub/token')
  t.equal(new URL(page.visited.at(-1)!).pathname, '/hub/login')
  const text = await page.response.text()
  t.match(text, /href="\/hub\/oauth_login\?next=%2Fhub%2Ftoken">Sign in with the test provider</)
  t.notMatch(text, /name="password"/, 'no password form for an OIDC hub')

  const { response, visited } = await loginThroughHub(s, browser, 'alice')
  t.equal(new URL(visited.at(-1)!).pathname, '/hub/home')
  t.equal(response.status, 200)
  t.match(await response.text(), /Hello, alice/, 'the preferred_username claim, normalised to lower case')
  t.ok(browser.cookies.has('monohub-session'), 'a session cookie was issued')
  t.notOk(browser.cookies.has('monohub-oauth-flow'), 'the flow cookie is cleared after the callback')
  const alice = s.h.hub.store.state.users.alice!
  t.same(alice.groups, ['staff'])
  t.equal(alice.admin, false)
  // The session works like any other: the token page is reachable.
  t.equal((await browser.fetch('/hub/token')).status, 200)
})

t.test('next= survives the trip through the provider', async (t) => {
  const s = await oidcHub(t)
  const backend = await startEchoBackend(t, 'alice-server')
  await s.h.hub.routes.set('/user/alice', { target: backend.url, user: 'alice', server_name: '' })
  const browser = new Browser(s.h.url)
  const { response, visited } = await loginThroughHub(s, browser, 'alice', '/user/alice/lab?reset')
  t.equal(new URL(visited.at(-1)!).pathname + new URL(visited.at(-1)!).search, '/user/alice/lab?reset')
  t.equal(response.status, 200)
  t.equal(((await response.json()) as { backend: string }).backend, 'alice-server', 'the proxy let the new session through to the server')
})

t.test('a member of an admin group becomes admin and reaches the admin page', async (t) => {
  const s = await oidcHub(t)
  const browser = new Browser(s.h.url)
  const { response } = await loginThroughHub(s, browser, 'root-of-all')
  t.equal(response.status, 200)
  t.equal(s.h.hub.store.state.users.carol?.admin, true)
  t.equal((await browser.fetch('/hub/admin')).status, 200)
})

t.test('someone outside the allowed groups gets a 403 page that says why, and no session', async (t) => {
  const s = await oidcHub(t)
  const browser = new Browser(s.h.url)
  const { response } = await loginThroughHub(s, browser, 'mallory')
  t.equal(response.status, 403)
  const text = await response.text()
  t.match(text, /User &#39;mallory&#39; is not allowed to use this hub/)
  t.match(text, /ask an administrator/i)
  t.notOk(browser.cookies.has('monohub-session'))
  t.notOk(Object.hasOwn(s.h.hub.store.state.users, 'mallory'), 'no account was created')
})

t.test('a provider user name the hub cannot use is refused with a 403 page', async (t) => {
  const s = await oidcHub(t)
  const browser = new Browser(s.h.url)
  const { response } = await loginThroughHub(s, browser, 'evil-name')
  t.equal(response.status, 403)
  t.match(await response.text(), /user name this hub cannot use/)
  t.notOk(browser.cookies.has('monohub-session'))
})

t.test('a callback without the browser\'s flow cookie (another browser, replay) is refused', async (t) => {
  const s = await oidcHub(t)
  const browser = new Browser(s.h.url)
  const start = await browser.fetch('/hub/oauth_login')
  const back = await loginAtProvider(start.headers.get('location')!, { login: 'alice', callbackUrl: s.callback })
  const stranger = new Browser(s.h.url)
  const { response } = await stranger.navigate(back.href)
  t.ok(response.status >= 400 && response.status < 500, `refused (${response.status})`)
  t.notOk(stranger.cookies.has('monohub-session'))
  // The rightful browser can still finish its own login once.
  const own = await browser.navigate(back.href)
  t.equal(own.response.status, 200)
  t.ok(browser.cookies.has('monohub-session'))
})

t.test('"abort" at the provider comes back as a page that says the login was cancelled', async (t) => {
  const s = await oidcHub(t)
  const browser = new Browser(s.h.url)
  const start = await browser.fetch('/hub/oauth_login')
  const back = await loginAtProvider(start.headers.get('location')!, { login: 'alice', callbackUrl: s.callback, abort: true })
  const { response } = await browser.navigate(back.href)
  t.ok(response.status >= 400 && response.status < 500, `refused (${response.status})`)
  t.match(await response.text(), /access_denied|cancel|denied/i)
  t.notOk(browser.cookies.has('monohub-session'))
})
