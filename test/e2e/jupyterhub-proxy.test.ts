/**
 * A real JupyterHub (Debian's jupyterhub 3.0) using `monohub proxy` as its
 * proxy instead of configurable-http-proxy: log a user in, spawn their
 * jupyterhub-singleuser server, reach /user/<name>/api/status through
 * monohub (the OAuth round trip happens through it too), stop the server and
 * see its route go.
 *
 * MONOHUB_E2E_PROXY=chp runs the same test against configurable-http-proxy,
 * to check the test itself.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Browser } from '../helpers/cookie-jar.ts'
import { runOnKernel, startKernel } from '../helpers/jupyter.ts'

const JUPYTERHUB = '/usr/bin/jupyterhub'
const SINGLEUSER = '/usr/bin/jupyterhub-singleuser'
const root = resolve(import.meta.dirname, '../..')
const useChp = process.env.MONOHUB_E2E_PROXY === 'chp'

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

/** The environment without tap's hooks (NODE_OPTIONS, TAP_*), which must not reach the proxy JupyterHub launches. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(NODE_OPTIONS|TAP|_TAP)/.test(key)) env[key] = value
  }
  env.PATH = `/usr/bin:${process.env.PATH ?? ''}`
  return env
}

let hubExited = (): boolean => false

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  let lastError: unknown
  while (Date.now() < deadline) {
    if (hubExited()) throw new Error(`JupyterHub exited while waiting for ${what}`)
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`)
}

const missing = [JUPYTERHUB, SINGLEUSER].filter((file) => !existsSync(file))
const skip = missing.length > 0 ? `needs Debian's jupyterhub package (missing ${missing.join(', ')}): apt-get install jupyterhub` : false

t.test('JupyterHub 3.0 runs users through monohub proxy', { skip, timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-jh-'))
  const [publicPort, apiPort, hubPort] = [await freePort(), await freePort(), await freePort()]
  const proxyToken = 'proxy-secret-' + Math.random().toString(36).slice(2)
  const serviceToken = 'service-secret-' + Math.random().toString(36).slice(2)
  const proxyCommand = useChp
    ? [process.execPath, join(root, 'node_modules/configurable-http-proxy/bin/configurable-http-proxy')]
    : [process.execPath, join(root, 'bin/monohub'), 'proxy', '--data-dir', join(dir, 'proxy-data')]
  const asRoot = process.getuid?.() === 0
  await mkdir(join(dir, 'home'))
  await writeFile(
    join(dir, 'jupyterhub_config.py'),
    `
c = get_config()  # noqa
c.JupyterHub.bind_url = 'http://127.0.0.1:${publicPort}'
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = ${hubPort}
c.JupyterHub.db_url = 'sqlite:///${join(dir, 'jupyterhub.sqlite')}'
c.JupyterHub.cookie_secret_file = '${join(dir, 'cookie_secret')}'
c.JupyterHub.pid_file = '${join(dir, 'jupyterhub.pid')}'
c.ConfigurableHTTPProxy.command = ${JSON.stringify(proxyCommand)}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${apiPort}'
c.ConfigurableHTTPProxy.auth_token = '${proxyToken}'
c.ConfigurableHTTPProxy.pid_file = '${join(dir, 'proxy.pid')}'
c.JupyterHub.authenticator_class = 'dummy'
c.DummyAuthenticator.password = 'e2e-password'
# The simple spawner runs servers as the hub's own OS user: no Unix account per test user.
c.JupyterHub.spawner_class = 'simple'
c.SimpleLocalProcessSpawner.home_dir_template = '${join(dir, 'home')}'
c.Spawner.cmd = ['${SINGLEUSER}']
c.Spawner.args = ${asRoot ? "['--allow-root']" : '[]'}
c.Spawner.notebook_dir = '${dir}'
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 60
c.JupyterHub.services = [{'name': 'e2e', 'api_token': '${serviceToken}'}]
c.JupyterHub.load_roles = [{'name': 'e2e', 'scopes': ['admin:users', 'admin:servers', 'list:users'], 'services': ['e2e']}]
`,
  )
  // tap wraps spawn() to put its coverage hooks in NODE_OPTIONS; `env -u` keeps them
  // away from the proxy JupyterHub launches (they break configurable-http-proxy).
  const hub = spawn('/usr/bin/env', ['-u', 'NODE_OPTIONS', JUPYTERHUB, '-f', join(dir, 'jupyterhub_config.py')], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  hubExited = () => hub.exitCode !== null
  let hubLog = ''
  hub.stdout.on('data', (chunk: Buffer) => (hubLog += chunk))
  hub.stderr.on('data', (chunk: Buffer) => (hubLog += chunk))
  t.teardown(async () => {
    if (hub.exitCode === null) {
      hub.kill('SIGTERM')
      await Promise.race([new Promise((r) => hub.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))])
      if (hub.exitCode === null) hub.kill('SIGKILL')
    }
    await rm(dir, { recursive: true, force: true })
  })
  const failWithLog = (error: unknown): never => {
    // The first error JupyterHub logged says more than the last lines of polling.
    const firstError = hubLog.search(/\[E |Traceback/)
    const excerpt = firstError === -1 ? hubLog.slice(-3000) : hubLog.slice(firstError, firstError + 3000)
    throw new Error(`${String(error)}\n--- jupyterhub log ---\n${excerpt}`)
  }

  const origin = `http://127.0.0.1:${publicPort}`
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${origin}/hub/api${path}`, { ...init, headers: { authorization: `token ${serviceToken}`, ...init.headers } })
  const proxyApi = (path: string) =>
    fetch(`http://127.0.0.1:${apiPort}/api${path}`, { headers: { authorization: `token ${proxyToken}` } })

  // The hub is up behind the proxy once /hub/api answers through the public port.
  await until('JupyterHub behind the proxy', 60, async () => ((await fetch(`${origin}/hub/api`)).ok ? true : undefined)).catch(failWithLog)
  const routes = (await (await proxyApi('/routes')).json()) as Record<string, { hub?: boolean }>
  t.ok(Object.values(routes).some((route) => route.hub === true), 'JupyterHub registered its own route in the proxy')

  // Log in through the proxy with JupyterHub's own login form.
  const browser = new Browser(origin)
  const loginPage = await browser.fetch('/hub/login')
  const form = await loginPage.text()
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form)?.[1]
  const login = await browser.fetch('/hub/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'alice', password: 'e2e-password', ...(xsrf ? { _xsrf: xsrf } : {}) }).toString(),
  })
  t.equal(login.status, 302, 'login redirects')
  t.ok([...browser.cookies.keys()].some((name) => name.startsWith('jupyterhub-session-id') || name === 'jupyterhub-hub-login'), 'login cookie set')

  // Spawn alice's server through the REST API and wait until it is ready.
  const start = await api('/users/alice/server', { method: 'POST' })
  if (![201, 202].includes(start.status)) failWithLog(`spawn answered ${start.status}: ${await start.text()}`)
  await until('alice ready', 90, async () => {
    const user = (await (await api('/users/alice')).json()) as { servers?: Record<string, { ready: boolean }> }
    return user.servers?.['']?.ready ? true : undefined
  }).catch(failWithLog)
  const userRoutes = (await (await proxyApi('/routes')).json()) as Record<string, { user?: string; jupyterhub?: boolean; last_activity?: string }>
  t.equal(userRoutes['/user/alice']?.user, 'alice', 'the user route is in the proxy with JupyterHub data')
  t.ok(userRoutes['/user/alice']?.last_activity, 'routes report last_activity')

  // The browser reaches the server: /tree redirects through the hub's OAuth and back.
  const tree = await browser.navigate('/user/alice/tree')
  t.equal(tree.response.status, 200, `tree page served (visited ${tree.visited.join(' → ')})`)
  t.ok(tree.visited.some((url) => url.includes('/hub/api/oauth2/authorize')), 'the OAuth round trip went through the proxy')
  const status = await browser.fetch('/user/alice/api/status')
  t.equal(status.status, 200, '/user/alice/api/status answers through the proxy')
  const body = (await status.json()) as { started?: string }
  t.ok(body.started, 'status is Jupyter server JSON')

  // A kernel runs 1+1 over its WebSocket, through the proxy.
  const client = { origin, cookie: browser.cookieHeader(), xsrf: browser.cookies.get('_xsrf') ?? '' }
  const kernelResult = await runOnKernel(client, '/user/alice', await startKernel(client, '/user/alice'), '1+1')
  t.equal(kernelResult, '2', 'kernel WebSocket through the proxy computes 1+1')

  // An anonymous client gets no further than a redirect/403 from the server itself.
  const anonymous = await fetch(`${origin}/user/alice/api/status`, { redirect: 'manual' })
  t.ok([302, 403].includes(anonymous.status), `anonymous refused (${anonymous.status})`)
  await anonymous.body?.cancel()

  // Stop: the route leaves the proxy.
  const stop = await api('/users/alice/server', { method: 'DELETE' })
  t.ok([202, 204].includes(stop.status), `stop accepted (${stop.status})`)
  await until('alice route removed', 60, async () => {
    const now = (await (await proxyApi('/routes')).json()) as Record<string, unknown>
    return now['/user/alice'] === undefined ? true : undefined
  }).catch(failWithLog)
  t.pass('route removed after stop')
})
