/**
 * GitHub logins through the hub's pages, end to end, against a local server
 * that speaks GitHub's OAuth and REST endpoints (GitHub itself cannot be
 * reached from the test machine): /hub/oauth_login → "GitHub" authorize →
 * /hub/oauth_callback → session → /hub/home. `allowedOrganizations` lets
 * members in (the hub adds them to the allowed groups); others get a 403 page.
 */
import t, { type Test } from 'tap'
import { startHub, type TestHub } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'
import { startGithubServer, type GithubServer } from '../helpers/github-server.ts'

const USERS = [
  { login: 'Octocat', id: 1, publicOrgs: ['GitHub'], privateOrgs: ['Jupyter-Team'] },
  { login: 'hubber', id: 2, publicOrgs: ['other-org'] },
  { login: 'boss', id: 3 },
]

async function githubHub(t: Test, extra: Record<string, unknown> = {}): Promise<{ h: TestHub; github: GithubServer }> {
  const github = await startGithubServer(USERS)
  t.teardown(() => github.close())
  const h = await startHub(t, {
    config: {
      authenticator: {
        kind: 'github',
        clientId: github.clientId,
        clientSecret: github.clientSecret,
        githubUrl: github.origin,
        apiUrl: github.apiUrl,
        allowInsecureHttp: true,
        allowedOrganizations: ['jupyter-team'],
      },
      adminUsers: ['boss'],
      ...extra,
    },
  })
  return { h, github }
}

t.test('a member of an allowed organisation (private membership, other case) logs in and lands on /hub/home', async (t) => {
  const { h, github } = await githubHub(t)
  const browser = new Browser(h.url)
  const login = await (await browser.fetch('/hub/login')).text()
  t.match(login, /href="\/hub\/oauth_login">Sign in with GitHub</)
  github.loginAs('Octocat')
  const { response, visited } = await browser.navigate('/hub/oauth_login')
  t.equal(new URL(visited[1]!).origin, github.origin, 'went through the GitHub stand-in')
  t.equal(new URL(visited.at(-1)!).pathname, '/hub/home')
  t.equal(response.status, 200)
  t.match(await response.text(), /Hello, octocat/)
  t.ok(browser.cookies.has('monohub-session'))
  t.equal(github.lastScope, 'read:user read:org', 'read:org asked for, to see private memberships')
  const user = h.hub.store.state.users.octocat!
  t.ok(user.groups.includes('jupyter-team'))
  t.equal(user.admin, false)
})

t.test('someone in no allowed organisation gets a 403 page and no session', async (t) => {
  const { h, github } = await githubHub(t)
  const browser = new Browser(h.url)
  github.loginAs('hubber')
  const { response } = await browser.navigate('/hub/oauth_login')
  t.equal(response.status, 403)
  const text = await response.text()
  t.match(text, /User &#39;hubber&#39; is not allowed to use this hub/)
  t.notOk(browser.cookies.has('monohub-session'))
  t.notOk(Object.hasOwn(h.hub.store.state.users, 'hubber'))
})

t.test('an admin user logs in as admin without being in an organisation', async (t) => {
  const { h, github } = await githubHub(t)
  const browser = new Browser(h.url)
  github.loginAs('boss')
  const { response } = await browser.navigate('/hub/oauth_login')
  t.equal(response.status, 200)
  t.equal(h.hub.store.state.users.boss?.admin, true)
  t.equal((await browser.fetch('/hub/admin')).status, 200)
})

t.test('refusing the app on GitHub comes back as a page that says so, without a session', async (t) => {
  const { h, github } = await githubHub(t)
  const browser = new Browser(h.url)
  github.loginAs('Octocat')
  github.denyNext()
  const { response } = await browser.navigate('/hub/oauth_login')
  t.ok(response.status >= 400 && response.status < 500, `refused (${response.status})`)
  t.match(await response.text(), /denied/i)
  t.notOk(browser.cookies.has('monohub-session'))
})

t.test('without allowedOrganizations nor allowed users, nobody but admins may log in — and the page says what to configure', async (t) => {
  const github = await startGithubServer(USERS)
  t.teardown(() => github.close())
  const h = await startHub(t, {
    config: { authenticator: { kind: 'github', clientId: github.clientId, clientSecret: github.clientSecret, githubUrl: github.origin, apiUrl: github.apiUrl, allowInsecureHttp: true } },
  })
  const browser = new Browser(h.url)
  github.loginAs('Octocat')
  const { response } = await browser.navigate('/hub/oauth_login')
  t.equal(response.status, 403)
  t.match(await response.text(), /No one is allowed to log in yet/)
})
