import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMonohubProxy, freePort } from '../helpers/monohub-proxy.ts'
import { startEchoBackend, type Echo } from '../helpers/echo-backend.ts'

t.test('a route added through the API proxies to a real backend', async (t) => {
  const backend = await startEchoBackend(t, 'alice')
  const proxy = await startMonohubProxy(t)
  const add = await proxy.api('/api/routes/user/alice', { method: 'POST', body: JSON.stringify({ target: backend.url, user: 'alice' }) })
  t.equal(add.status, 201)
  const res = await fetch(`${proxy.url}/user/alice/tree?x=1`)
  t.equal(res.status, 200)
  const echo = (await res.json()) as Echo
  t.equal(echo.backend, 'alice')
  t.equal(echo.url, '/user/alice/tree?x=1')
  t.equal(echo.headers['x-forwarded-for'], '127.0.0.1')
  t.equal((await fetch(`${proxy.url}/user/bob/`)).status, 404, 'no route → 404')
})

t.test('--default-target sets the / route at start, as CHP does', async (t) => {
  const backend = await startEchoBackend(t, 'hub')
  const proxy = await startMonohubProxy(t, { args: ['--default-target', backend.url] })
  const echo = (await (await fetch(`${proxy.url}/anything`)).json()) as Echo
  t.equal(echo.backend, 'hub')
  const routes = (await (await proxy.api('/api/routes')).json()) as Record<string, { target: string }>
  t.equal(routes['/']?.target, backend.url)
})

t.test('the pid file is written at start and removed at a graceful stop; SIGTERM exits 0', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-pid-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const pidFile = join(dir, 'proxy.pid')
  const proxy = await startMonohubProxy(t, { args: ['--pid-file', pidFile] })
  t.equal(await readFile(pidFile, 'utf8'), String(proxy.child.pid))
  const exit = await proxy.kill('SIGTERM')
  t.same(exit, { code: 0, signal: null })
  t.notOk(existsSync(pidFile), 'pid file removed')
  t.match(proxy.stdout(), 'SIGTERM: stopping')
})

t.test('SIGINT also stops gracefully with exit 0', async (t) => {
  const proxy = await startMonohubProxy(t)
  t.same(await proxy.kill('SIGINT'), { code: 0, signal: null })
})

t.test('the metrics port serves Prometheus text', async (t) => {
  const metricsPort = await freePort()
  const proxy = await startMonohubProxy(t, { args: ['--metrics-ip', '127.0.0.1', '--metrics-port', String(metricsPort)] })
  await proxy.api('/api/routes/a', { method: 'POST', body: JSON.stringify({ target: 'http://127.0.0.1:9' }) })
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), 'text/plain')
  const text = await res.text()
  t.match(text, /^# HELP /m)
  t.match(text, /^monohub_proxy_routes 1$/m)
})

t.test('SIGTERM flushes recorded activity: last_activity survives the restart', async (t) => {
  const backend = await startEchoBackend(t, 'alice')
  const first = await startMonohubProxy(t)
  await first.api('/api/routes/user/alice', { method: 'POST', body: JSON.stringify({ target: backend.url }) })
  const created = ((await (await first.api('/api/routes/user/alice')).json()) as { last_activity: string }).last_activity
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal((await fetch(`${first.url}/user/alice/`)).status, 200)
  // Well within the 5 s flush interval: only the stop writes it.
  t.same(await first.kill('SIGTERM'), { code: 0, signal: null })

  const second = await startMonohubProxy(t, { dataDir: first.dataDir })
  const after = ((await (await second.api('/api/routes/user/alice')).json()) as { last_activity: string }).last_activity
  t.ok(Date.parse(after) > Date.parse(created), `last_activity moved from ${created} to ${after}`)
})

t.test('a port in use is one clear line naming the address and port, exit 1', async (t) => {
  const blocker = net.createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  const port = (blocker.address() as net.AddressInfo).port
  const err = await startMonohubProxy(t, { port, apiPort: await freePort() }).then(
    () => undefined,
    (e: unknown) => e as { exit: { code: number }; stderr: string },
  )
  t.ok(err, 'start fails')
  t.equal(err?.exit.code, 1)
  t.equal(err?.stderr, `error: cannot listen on 127.0.0.1:${port} for the proxy: the address is already in use (another process listens there) — choose another with --ip/--port\n`)
})

const openssl = '/usr/bin/openssl'
t.test('--ssl-key/--ssl-cert serve https with a self-signed certificate', { skip: existsSync(openssl) ? false : `${openssl} not found` }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-tls-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  const backend = await startEchoBackend(t, 'tls')
  const proxy = await startMonohubProxy(t, { https: true, args: ['--ssl-key', key, '--ssl-cert', cert] })
  t.match(proxy.stdout(), `listening on https://127.0.0.1:${proxy.port}`)
  await proxy.api('/api/routes/app', { method: 'POST', body: JSON.stringify({ target: backend.url }) })
  const ca = await readFile(cert)
  const body = await new Promise<string>((resolve, reject) => {
    https.get(`${proxy.url}/app/x`, { ca }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text))
    }).on('error', reject)
  })
  const echo = JSON.parse(body) as Echo
  t.equal(echo.backend, 'tls')
  t.equal(echo.headers['x-forwarded-proto'], 'https')
  // Plain http to the https port does not get proxied.
  const plain = await fetch(`http://127.0.0.1:${proxy.port}/app/x`).then((r) => r.status, () => 'refused')
  t.not(plain, 200)
})

t.test('starts with the command line JupyterHub uses, and passes --custom-header values on', async (t) => {
  const backend = await startEchoBackend(t, 'user')
  const proxy = await startMonohubProxy(t, {
    args: ['--error-target', 'http://127.0.0.1:9/hub/error', '--log-level', 'debug', '--custom-header', 'X-Team: blue', '--custom-header', ' X-Env : test '],
  })
  await proxy.api('/api/routes/user/a', { method: 'POST', body: JSON.stringify({ target: backend.url, jupyterhub: true, user: 'a', server_name: '' }) })
  const echo = (await (await fetch(`${proxy.url}/user/a/`)).json()) as Echo
  t.equal(echo.headers['x-team'], 'blue')
  t.equal(echo.headers['x-env'], 'test')
  const route = (await (await proxy.api('/api/routes/user/a')).json()) as Record<string, unknown>
  t.match(route, { target: backend.url, jupyterhub: true, user: 'a', server_name: '' })
})
