/**
 * Debian's real `jupyterhub-singleuser` (JupyterHub 3.0, notebook 6.4) behind
 * monohub, unmodified: monohub spawns it for alice with the environment of
 * REFERENCE §2, and alice's browser session goes through monohub's proxy
 * authorization AND the singleuser's own OAuth login against monohub's
 * provider; she creates a notebook, runs `1+1` on a kernel over the
 * WebSocket, her activity reaches the hub; stop and start again. Bob and an
 * anonymous client are refused at every step, over HTTP and WebSocket.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { startHub, logIn, TEST_SCRYPT } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'
import { SINGLEUSER, jupyterFetch, kernelSocketStatus, runOnKernel, startKernel, until, type JupyterClient } from '../helpers/jupyter.ts'
import { hashPassword } from '../../src/auth/passwords.ts'
import { newUserRecord } from '../../src/auth/records.ts'
import { createToken } from '../../src/auth/tokens.ts'
import { processSpawner } from '../../src/spawn/spawners/process.ts'
import type { HubContext } from '../../src/hub/context.ts'

const skip = existsSync(SINGLEUSER) ? false : `needs Debian's jupyterhub package (${SINGLEUSER} is missing): apt-get install jupyterhub`
const PASSWORD = 'e2e-password-1'

async function addUser(hub: HubContext, name: string, admin = false): Promise<void> {
  const passwordHash = await hashPassword(PASSWORD, TEST_SCRYPT)
  await hub.store.commit({ op: 'user.put', user: newUserRecord(name, hub.now(), { admin, passwordHash }) })
}

async function addToken(hub: HubContext, owner: string, scopes: string[]): Promise<string> {
  const { token, record } = createToken({ owner, scopes, now: hub.now() })
  await hub.store.commit({ op: 'token.put', token: record })
  return token
}

function browserClient(browser: Browser): JupyterClient {
  const xsrf = browser.cookies.get('_xsrf')
  return { origin: browser.origin, cookie: browser.cookieHeader(), ...(xsrf === undefined ? {} : { xsrf }) }
}

const HTML = { accept: 'text/html' }

t.test('jupyterhub-singleuser runs behind monohub: OAuth login, notebook, kernel over WebSocket, activity, restart; others refused', { skip, timeout: 240_000 }, async (t) => {
  const th = await startHub(t, {
    config: { cmd: [SINGLEUSER], allowRoot: true },
    deps: {
      // The process spawner as root passes --allow-root; activity reports every 2 s instead of 300.
      spawner: processSpawner({ cmd: [SINGLEUSER], allowRoot: true, env: { JUPYTERHUB_ACTIVITY_INTERVAL: '2' } }),
    },
  })
  const { hub, url } = th
  await addUser(hub, 'alice')
  await addUser(hub, 'bob')
  const adminToken = await addToken(hub, 'admin', ['inherit'])
  const aliceServerToken = await addToken(hub, 'alice', ['access:servers!server=alice/'])
  const aliceReadOnly = await addToken(hub, 'alice', ['read:users!user=alice'])
  const bobToken = await addToken(hub, 'bob', ['inherit'])

  const alice = new Browser(url)
  const bob = new Browser(url)
  const anonymous: JupyterClient = { origin: url }
  t.equal((await logIn(alice, 'alice', PASSWORD)).response.status, 200, 'alice logs in')
  t.equal((await logIn(bob, 'bob', PASSWORD)).response.status, 200, 'bob logs in')

  const userModel = async (): Promise<{ last_activity: string | null }> => {
    const r = await fetch(`${url}/hub/api/users/alice`, { headers: { authorization: `token ${adminToken}` } })
    return (await r.json()) as { last_activity: string | null }
  }

  try {
    for (const round of [1, 2]) {
      await t.test(`round ${round}: start, OAuth login, notebook, kernel`, async (t) => {
        await hub.servers.start('alice')
        t.ok(hub.routes.get('/user/alice'), 'the server is routed once ready')

        // The OAuth round trip: proxy (hub session) → singleuser → hub authorize → callback → tree.
        const { response, visited } = await alice.navigate('/user/alice/tree', { headers: HTML })
        const page = await response.text()
        t.equal(response.status, 200, `alice reaches her tree (${visited.map((u) => new URL(u).pathname).join(' → ')})`)
        t.ok(visited.some((u) => new URL(u).pathname === '/hub/api/oauth2/authorize'), 'through the hub\'s OAuth authorize')
        t.ok(visited.some((u) => new URL(u).pathname === '/user/alice/oauth_callback'), 'and the singleuser\'s callback')
        t.match(new URL(visited.at(-1)!).pathname, /^\/user\/alice\/tree/)
        t.match(page, /Jupyter/, 'the Jupyter tree page')
        t.ok(alice.cookies.has('jupyterhub-user-alice'), 'the singleuser set its own login cookie')
        t.ok(alice.cookies.has('_xsrf'), 'and its XSRF cookie')

        const client = browserClient(alice)
        const created = await jupyterFetch(client, '/user/alice/api/contents', { method: 'POST', body: { type: 'notebook' } })
        t.equal(created.status, 201, 'alice creates a notebook through the contents API')
        const notebook = (await created.json()) as { path: string; type: string }
        t.equal(notebook.type, 'notebook')

        const kernelId = await startKernel(client, '/user/alice')
        t.equal(await runOnKernel(client, '/user/alice', kernelId, '1+1'), '2', '1+1 = 2 over the kernel WebSocket')

        // An API client with a hub token scoped to the server passes the proxy and the singleuser.
        const apiClient: JupyterClient = { origin: url, token: aliceServerToken }
        const listed = await jupyterFetch(apiClient, '/user/alice/api/contents')
        t.equal(listed.status, 200, 'a token with access:servers!server=alice/ reads the contents')
        t.equal(await runOnKernel(apiClient, '/user/alice', kernelId, '40+2'), '42', 'and runs code over the WebSocket')
        t.equal((await jupyterFetch({ origin: url, token: aliceReadOnly }, '/user/alice/api/contents')).status, 403, 'alice\'s token without access:servers is refused')

        // Everyone else, at every step.
        const bobClient = browserClient(bob)
        t.equal((await bob.fetch('/user/alice/tree', { headers: HTML })).status, 403, 'bob: tree page 403')
        t.equal((await jupyterFetch(bobClient, '/user/alice/api/contents')).status, 403, 'bob: contents 403')
        t.equal((await jupyterFetch(bobClient, '/user/alice/api/contents', { method: 'POST', body: { type: 'notebook' } })).status, 403, 'bob: create 403')
        t.equal((await jupyterFetch(bobClient, '/user/alice/api/kernels', { method: 'POST', body: {} })).status, 403, 'bob: kernel start 403')
        t.equal(await kernelSocketStatus(bobClient, '/user/alice', kernelId), 403, 'bob: kernel WebSocket 403')
        t.equal((await jupyterFetch({ origin: url, token: bobToken }, '/user/alice/api/contents')).status, 403, 'bob\'s API token: 403')
        t.equal(await kernelSocketStatus({ origin: url, token: bobToken }, '/user/alice', kernelId), 403, 'bob\'s API token: WebSocket 403')
        const authorize = `/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&redirect_uri=${encodeURIComponent('/user/alice/oauth_callback')}&response_type=code&state=s`
        const bobAuthorize = await bob.fetch(authorize)
        t.equal(bobAuthorize.status, 403, 'bob: no OAuth code for alice\'s server')
        t.notOk(bobAuthorize.headers.get('location'), 'and no redirect to the callback')

        const anonTree = await fetch(`${url}/user/alice/tree`, { headers: HTML, redirect: 'manual' })
        t.equal(anonTree.status, 302, 'anonymous browser: sent to log in')
        t.match(anonTree.headers.get('location'), /^\/hub\/login\?next=/)
        t.equal((await jupyterFetch(anonymous, '/user/alice/api/contents')).status, 401, 'anonymous API client: 401')
        t.equal((await jupyterFetch(anonymous, '/user/alice/api/kernels', { method: 'POST', body: {} })).status, 401, 'anonymous kernel start: 401')
        t.equal(await kernelSocketStatus(anonymous, '/user/alice', kernelId), 401, 'anonymous WebSocket: 401')
        const anonAuthorize = await fetch(`${url}${authorize}`, { redirect: 'manual' })
        t.equal(anonAuthorize.status, 302, 'anonymous authorize: to the login page')
        t.match(anonAuthorize.headers.get('location'), /^\/hub\/login\?next=%2Fhub%2Fapi%2Foauth2%2Fauthorize/)
        const anonToken = await fetch(`${url}/hub/api/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=x&client_id=jupyterhub-user-alice&client_secret=guess&redirect_uri=%2Fuser%2Falice%2Foauth_callback' })
        t.equal(anonToken.status, 401, 'a guessed client secret gets no token')

        // Activity: the singleuser reports to POST /hub/api/users/alice/activity.
        await until('the server\'s own activity report', 30, async () => hub.servers.record('alice')?.lastActivity)
        t.ok(hub.servers.record('alice')?.lastActivity, 'the hub recorded the server\'s activity report')
        const before = (await userModel()).last_activity
        await new Promise((r) => setTimeout(r, 50))
        t.equal(await runOnKernel(client, '/user/alice', kernelId, '2*3'), '6', 'more work on the kernel')
        const after = await until('alice\'s last_activity to move', 30, async () => {
          const now = (await userModel()).last_activity
          return now !== null && (before === null || now > before) ? now : undefined
        })
        t.ok(after, `alice's last_activity moved (${String(before)} → ${after})`)
      })

      await hub.servers.stop('alice')
      t.notOk(hub.routes.get('/user/alice'), `round ${round}: stopped, the route is gone`)
      await until('the server\'s credentials to be revoked', 10, async () =>
        Object.values(hub.store.state.tokens).some((tk) => tk.kind === 'server' || tk.kind === 'oauth') ? undefined : true)
      t.pass(`round ${round}: the server token and OAuth tokens are revoked`)
      t.notOk(hub.store.state.oauthClients?.['jupyterhub-user-alice'], 'and its OAuth client')
    }
  } finally {
    await hub.servers.stopAll()
  }
})
