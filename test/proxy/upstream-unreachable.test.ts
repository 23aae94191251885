/**
 * ProxyDeps.onUpstreamUnreachable: called only when a route's upstream
 * cannot be reached before any response (HTTP refused, WebSocket connect
 * error) — never for answered requests; its sentence joins the 503 page's
 * cause, and a hook that throws still leaves a clean 503.
 */
import t, { type Test } from 'tap'
import http, { createServer, type IncomingMessage } from 'node:http'
import { pino } from 'pino'
import type { Duplex } from 'node:stream'
import { createProxy } from '../../src/proxy/proxy-handler.ts'
import { defaultProxyOptions } from '../../src/proxy/options.ts'
import type { Route } from '../../src/proxy/route-store.ts'
import { listen, newRoutes, startEchoBackend } from './proxy-fixture.ts'

async function proxyWith(t: Test, hook: (route: Route) => string | undefined) {
  const routes = newRoutes()
  const log = pino({ level: 'silent' })
  const proxy = createProxy({ routes, options: defaultProxyOptions, log, onUpstreamUnreachable: hook })
  const server = createServer((req, res) => proxy.handleRequest(req, res))
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => proxy.handleUpgrade(req, socket, head))
  t.teardown(() => proxy.close())
  const { url, port } = await listen(t, server)
  return { routes, url, port }
}

/** A port nothing listens on (a server bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise((resolve) => s.close(resolve))
  return port
}

t.test('an answered request never calls the hook; a refused one calls it once with the route, and its sentence is on the 503 page', async (t) => {
  const seen: string[] = []
  const { routes, url } = await proxyWith(t, (route) => {
    seen.push(route.prefix)
    return 'start it again at /hub/spawn/alice'
  })
  const backend = await startEchoBackend(t)
  await routes.set('/up', { target: backend.url })
  await routes.set('/down', { target: `http://127.0.0.1:${await deadPort()}` })
  t.equal((await fetch(`${url}/up/x`)).status, 200)
  t.same(seen, [], 'not called for an answered request')
  const down = await fetch(`${url}/down/x`, { headers: { accept: 'text/html' } })
  t.equal(down.status, 503)
  t.match(await down.text(), /connection refused — start it again at \/hub\/spawn\/alice/)
  t.same(seen, ['/down'])
})

t.test('a hook that throws still gives a clean 503', async (t) => {
  const { routes, url } = await proxyWith(t, () => { throw new Error('boom') })
  await routes.set('/down', { target: `http://127.0.0.1:${await deadPort()}` })
  const down = await fetch(`${url}/down/`, { headers: { accept: 'text/html' } })
  t.equal(down.status, 503)
  t.match(await down.text(), /Server not reachable/)
})

t.test('a WebSocket upgrade to an upstream that refuses calls the hook', async (t) => {
  const seen: string[] = []
  const { routes, port } = await proxyWith(t, (route) => {
    seen.push(route.prefix)
    return undefined
  })
  await routes.set('/ws', { target: `http://127.0.0.1:${await deadPort()}` })
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ws/socket', headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } })
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('upgrade', () => reject(new Error('upgraded to a dead upstream')))
    req.on('error', reject)
    req.setTimeout(5000, () => reject(new Error('no answer')))
    req.end()
  })
  t.equal(status, 503)
  t.same(seen, ['/ws'])
})
