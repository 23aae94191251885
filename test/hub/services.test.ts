/**
 * Services (config `services`, like JupyterHub's c.JupyterHub.services):
 * config errors that name the entry and key, /services/<name>/ routes to a
 * url without a hub login, processes the hub runs with JupyterHub's
 * environment and a token that GET /hub/api/user knows as a service,
 * restarts after a death, stops with the hub, and the services API.
 */
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { defaultHubConfig } from '../../src/config/hub-config.ts'
import { freePort } from '../../src/spawn/spawners/free-port.ts'
import { restartDelay, ServiceProcess } from '../../src/hub/services/service-process.ts'
import { startHub } from '../helpers/hub.ts'
import { addToken, addUser, call } from '../helpers/hub-context.ts'
import { startEchoBackend } from '../helpers/echo-backend.ts'
import { pidAlive, until } from './servers-hub.ts'
import { servicesOf } from '../../src/hub/services/services.ts'

const WHOAMI = fileURLToPath(new URL('../fixtures/services/whoami-service.mjs', import.meta.url))
const SERVICE_TOKEN = 'service-token-0123456789abcdef'

function configError(services: unknown): string {
  try {
    defaultHubConfig({ services })
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('the config was accepted')
}

t.test('bad service entries are refused with the entry and key named', async (t) => {
  t.match(configError([{ name: 'x', url: 'ftp://example.org' }]), /services\.0\.url must be an http\(s\) URL like 'http:\/\/127\.0\.0\.1:10101' \(got 'ftp:\/\/example\.org'\)/)
  t.match(configError([{ name: 'ok', url: 'http://127.0.0.1:1' }, { name: '../etc', url: 'http://127.0.0.1:2' }]), /services\.1\.name is not a valid name/)
  t.match(configError([{ name: 'a', url: 'http://127.0.0.1:1' }, { name: 'A', url: 'http://127.0.0.1:2' }]), /services\.1\.name 'a' is used by an earlier service/)
  t.match(configError([{ name: 'a' }]), /services\.0 needs a url .*, a command .*, or an apiToken/)
  t.match(configError([{ name: 'a', url: 'http://127.0.0.1:1', scopes: ['read:everything'] }]), /services\.0\.scopes has a bad scope: unknown scope 'read:everything'/)
  t.match(configError([{ name: 'a', url: 'http://127.0.0.1:1', oauthNoConfirm: true }]), /services\.0 has unknown key\(s\) 'oauthNoConfirm'/)
  t.match(configError([{ url: 'http://127.0.0.1:1' }]), /services\.0\.name is required/)
  t.match(configError([{ name: 'a', command: 'python3 -m x' }]), /services\.0\.command must be a list of strings/)
  t.match(configError([{ name: 'a', url: 'http://127.0.0.1:1', apiToken: 'short' }]), /services\.0\.api-?[tT]oken must be at least 16 characters/)
  t.match(configError({ name: 'a' }), /services must be a list of services/)

  const fromEnv = defaultHubConfig({ services: '[{"name":"Culler","command":["python3","-m","jupyterhub_idle_culler"],"scopes":["list:users"]}]' })
  t.same(fromEnv.services, [{ name: 'culler', command: ['python3', '-m', 'jupyterhub_idle_culler'], scopes: ['list:users'], admin: false, info: {}, display: true }], 'a JSON string (MONOHUB_SERVICES) works; names are normalised')
  t.same(defaultHubConfig({}).services, [], 'no services by default')
})

t.test('a url service is routed at /services/<name>/ without a hub login, with the whole path forwarded', async (t) => {
  const backend = await startEchoBackend(t, 'dash')
  const h = await startHub(t, { config: { services: [{ name: 'dash', url: backend.url }] } })
  const route = h.hub.routes.get('/services/dash/')
  t.match(route?.data, { target: backend.url, service: 'dash' })
  t.notOk('user' in (route?.data ?? {}), 'no user: the proxy lets it pass, the service does its own auth')
  const answer = await fetch(`${h.url}/services/dash/some/page?x=1`, { headers: { accept: 'text/html' } })
  t.equal(answer.status, 200, 'anonymous, no redirect to the login page')
  t.match(await answer.json(), { backend: 'dash', url: '/services/dash/some/page?x=1' })

  // Restart without it: the stale route goes.
  await h.close()
  const again = await startHub(t, { dataDir: h.dataDir, config: { services: [] } })
  t.equal(again.hub.routes.get('/services/dash/'), undefined, 'a service removed from the config loses its route')
  t.equal(again.hub.routes.get('/'), undefined)
})

t.test('a command service runs with JupyterHub\'s environment, its token is a service at /hub/api/user, its output goes to its log', async (t) => {
  const port = await freePort()
  const h = await startHub(t, {
    config: {
      services: [{
        name: 'whoami', url: `http://127.0.0.1:${port}`, command: [process.execPath, WHOAMI],
        environment: { EXTRA: 'yes', JUPYTERHUB_API_TOKEN: 'not-this-one' }, scopes: ['list:users', 'read:users:activity'],
      }],
    },
  })
  let body: any
  t.ok(await until(async () => {
    const r = await fetch(`${h.url}/services/whoami/hello`).catch(() => undefined)
    if (r?.status !== 200) return false
    body = await r.json()
    return true
  }, 10_000), 'the service answers through the proxy')
  t.equal(body.path, '/services/whoami/hello')
  t.match(body.env, {
    JUPYTERHUB_SERVICE_NAME: 'whoami',
    JUPYTERHUB_API_URL: /^http:\/\/127\.0\.0\.1:\d+\/hub\/api$/,
    JUPYTERHUB_SERVICE_PREFIX: '/services/whoami/',
    JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${port}`,
    JUPYTERHUB_BASE_URL: '/',
    EXTRA: 'yes',
    PATH: String,
  })
  t.not(body.env.JUPYTERHUB_API_TOKEN, 'not-this-one', 'the hub\'s token wins over the environment setting')
  t.equal(body.env.JPY_API_TOKEN, body.env.JUPYTERHUB_API_TOKEN)
  t.match(body.hub, { status: 200, body: { kind: 'service', name: 'whoami', admin: false } })
  t.same(body.hub.body.scopes, ['list:users', 'read:users:activity', 'read:users:name'], 'its scopes, expanded')

  // The token works on the API with exactly those scopes.
  const token = body.env.JUPYTERHUB_API_TOKEN as string
  await addUser(h.hub, 'alice', { groups: ['physics'] })
  const users = await call(h.url, 'GET', '/users', { token })
  t.equal(users.status, 200)
  t.match(users.json.find((u: any) => u.name === 'alice'), { kind: 'user', name: 'alice', last_activity: null })
  t.equal((await call(h.url, 'POST', '/users/bob', { token })).status, 403, 'but nothing beyond them')
  t.equal((await call(h.url, 'GET', '/services', { token })).status, 403, 'no list:services')
  t.notOk(Object.hasOwn(h.hub.store.state.tokens, ''), 'nothing odd stored')
  t.notOk(Object.values(h.hub.store.state.tokens).some((r) => r.owner === 'whoami'), 'the service token is not in the store')

  const logFile = join(h.dataDir, 'logs', 'services', 'whoami.log')
  t.match(readFileSync(logFile, 'utf8'), /monohub starts service 'whoami'[^\n]*\nwhoami service \d+ starting/)
})

t.test('a service that dies is restarted (new pid); one that ignores SIGTERM is killed when the hub stops', async (t) => {
  const h = await startHub(t, { config: { services: [{ name: 'stubborn', command: [process.execPath, WHOAMI, '--ignore-term'] }] } })
  const service = servicesOf(h.hub).get('stubborn')!
  t.ok(await until(() => service.process!.pid > 0 && pidAlive(service.process!.pid), 5000), 'running')
  const first = service.process!.pid
  await until(() => readFileSync(join(h.dataDir, 'logs', 'services', 'stubborn.log'), 'utf8').includes(`${first} starting`), 5000)
  process.kill(first, 'SIGKILL')
  t.ok(await until(() => service.process!.pid > 0 && service.process!.pid !== first, 5000), 'started again within the first backoff (1 s)')
  t.equal(service.process!.lastExit, 'was killed by SIGKILL')
  t.equal(service.process!.starts, 2)
  const second = service.process!.pid
  await until(() => readFileSync(join(h.dataDir, 'logs', 'services', 'stubborn.log'), 'utf8').includes(`${second} starting`), 5000)
  await h.close()
  t.notOk(pidAlive(second), 'stopped with the hub (SIGKILL after the grace period)')
  t.equal(service.process!.lastExit, 'was killed by SIGKILL')
})

t.test('restart delays double up to a minute', async (t) => {
  t.same([1, 2, 3, 4, 7, 8, 50].map((n) => restartDelay(n)), [1000, 2000, 4000, 8000, 60000, 60000, 60000])
  const log = pino({ level: 'silent' })
  const dir = t.testdir({})
  const proc = new ServiceProcess({ name: 'quick', argv: [process.execPath, WHOAMI, '--exit-after=10'], env: {}, cwd: dir, logFile: join(dir, 'quick.log'), log, restartBaseMs: 20, restartCapMs: 80 })
  proc.start()
  t.ok(await until(() => proc.starts >= 4, 10_000), 'keeps restarting a service that keeps dying')
  t.equal(proc.lastExit, 'exited with code 3')
  await proc.stop()
  const starts = proc.starts
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(proc.starts, starts, 'no restarts after stop')

  const missing = new ServiceProcess({ name: 'missing', argv: [join(dir, 'no-such-program')], env: {}, cwd: dir, logFile: join(dir, 'missing.log'), log, restartBaseMs: 20 })
  missing.start()
  t.ok(await until(() => missing.lastExit !== undefined, 5000))
  t.match(missing.lastExit, /could not start: '.*no-such-program' was not found/)
  await missing.stop()
  t.ok(existsSync(join(dir, 'missing.log')))
})

t.test('GET /hub/api/services and /services/<name> show JupyterHub\'s service model to admins', async (t) => {
  const backend = await startEchoBackend(t, 'dash')
  const h = await startHub(t, {
    config: {
      services: [
        { name: 'dash', url: backend.url, apiToken: SERVICE_TOKEN, scopes: ['read:services:name'], info: { docs: 'https://example.org' }, display: false },
        { name: 'runner', command: [process.execPath, WHOAMI], admin: true },
      ],
    },
  })
  const { token: admin } = await addToken(h.hub, 'admin')
  const list = await call(h.url, 'GET', '/services', { token: admin })
  t.equal(list.status, 200)
  t.same(Object.keys(list.json), ['dash', 'runner'])
  t.same(list.json.dash, {
    kind: 'service', name: 'dash', admin: false, roles: [], scopes: ['read:services:name'], url: backend.url, prefix: '/services/dash/', command: [], pid: 0, info: { docs: 'https://example.org' }, display: false,
  })
  t.match(list.json.runner, { kind: 'service', name: 'runner', admin: true, roles: ['admin'], url: '', prefix: '', command: [process.execPath, WHOAMI], pid: Number, display: true })
  t.ok(await until(() => servicesOf(h.hub).get('runner')!.process!.pid > 0, 5000))
  t.equal((await call(h.url, 'GET', '/services/runner', { token: admin })).json.pid, servicesOf(h.hub).get('runner')!.process!.pid)
  const missing = await call(h.url, 'GET', '/services/nope', { token: admin })
  t.equal(missing.status, 404)
  t.same(missing.json, { status: 404, message: "no service 'nope'" })

  // The configured token: a service at /hub/api/user; read:services:name shows only names.
  const me = await call(h.url, 'GET', '/user', { token: SERVICE_TOKEN })
  t.match(me.json, { kind: 'service', name: 'dash', admin: false, scopes: ['read:services:name'] })
  t.same((await call(h.url, 'GET', '/services/runner', { token: SERVICE_TOKEN })).json, { kind: 'service', name: 'runner' })
  t.equal((await call(h.url, 'GET', '/services', { token: SERVICE_TOKEN })).status, 403)

  await addUser(h.hub, 'alice')
  const { token: alice } = await addToken(h.hub, 'alice')
  const refused = await call(h.url, 'GET', '/services', { token: alice })
  t.equal(refused.status, 403)
  t.match(refused.json.message, /list:services/)
  t.equal((await call(h.url, 'GET', '/services', {})).status, 403, 'anonymous')
})

t.test('a service named like a user is still a service at /hub/api/user', async (t) => {
  const h = await startHub(t, { config: { services: [{ name: 'alice', url: 'http://127.0.0.1:9', apiToken: SERVICE_TOKEN }] } })
  await addUser(h.hub, 'alice')
  const me = await call(h.url, 'GET', '/user', { token: SERVICE_TOKEN })
  t.match(me.json, { kind: 'service', name: 'alice', scopes: [] })
  t.equal((await call(h.url, 'GET', '/users/alice', { token: SERVICE_TOKEN })).status, 403, 'no powers over the user alice')
})

t.test('GET /hub/logo is an SVG anyone may load, cached', async (t) => {
  const h = await startHub(t)
  const logo = await fetch(`${h.url}/hub/logo`)
  t.equal(logo.status, 200)
  t.equal(logo.headers.get('content-type'), 'image/svg+xml')
  t.match(logo.headers.get('cache-control'), /max-age=86400/)
  t.match(await logo.text(), /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\n$/)
  const etag = logo.headers.get('etag')!
  const again = await fetch(`${h.url}/hub/logo`, { headers: { 'if-none-match': etag } })
  t.equal(again.status, 304)
})
