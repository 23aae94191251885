import t from 'tap'
import { createServer } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { listen, startProxy, until, type Teardown } from './proxy-fixture.ts'

/** A ws server; `onConnection` gets each server-side socket and the upgrade request's URL and headers. */
async function startWsBackend(t: Teardown, onConnection: (ws: WebSocket, url: string, headers: Record<string, unknown>) => void): Promise<string> {
  const server = createServer((_req, res) => res.end('not a websocket'))
  const wss = new WebSocketServer({ server })
  wss.on('connection', (ws, req) => onConnection(ws, req.url ?? '', req.headers))
  t.teardown(() => {
    for (const client of wss.clients) client.terminate()
    wss.close()
  })
  return (await listen(t, server)).url
}

function openClient(t: Teardown, url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    t.teardown(() => ws.terminate())
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())))
}

t.test('a WebSocket echoes through the proxy, with the CHP path and X-Forwarded-*', async (t) => {
  let seenUrl = ''
  let seenHeaders: Record<string, unknown> = {}
  const backend = await startWsBackend(t, (ws, url, headers) => {
    seenUrl = url
    seenHeaders = headers
    ws.on('message', (data: Buffer) => ws.send('echo ' + data.toString()))
  })
  const p = await startProxy(t)
  await p.routes.set('/user/a', { target: backend + '/base' })
  const ws = await openClient(t, p.url.replace('http', 'ws') + '/user/a/api/kernels/1/channels?session_id=x%20y')
  ws.send('hello')
  t.equal(await nextMessage(ws), 'echo hello')
  t.equal(seenUrl, '/base/user/a/api/kernels/1/channels?session_id=x%20y')
  t.equal(seenHeaders['x-forwarded-proto'], 'ws')
  t.equal(seenHeaders['x-forwarded-for'], '127.0.0.1')
  t.equal(seenHeaders.host, `127.0.0.1:${p.port}`)
})

t.test('server-to-client frames alone move the route activity', async (t) => {
  let clock = 1_000
  let serverSide: WebSocket | undefined
  const backend = await startWsBackend(t, (ws) => (serverSide = ws))
  const p = await startProxy(t, {}, { now: () => clock })
  await p.routes.set('/user/a', { target: backend })
  const route = p.routes.get('/user/a')!
  const ws = await openClient(t, p.url.replace('http', 'ws') + '/user/a/ws')
  await until(() => serverSide !== undefined)
  clock = 5_000
  const got = nextMessage(ws)
  serverSide!.send('output from a running cell')
  t.equal(await got, 'output from a running cell')
  t.equal(route.record.lastActivity, 5_000, 'touched by a server→client frame')
  clock = 9_000
  const echoed = new Promise<void>((resolve) => serverSide!.once('message', () => resolve()))
  ws.send('keystroke')
  await echoed
  t.equal(route.record.lastActivity, 9_000, 'touched by a client→server frame')
})

t.test('the open WebSocket count goes up and down; close() ends them all', async (t) => {
  const backend = await startWsBackend(t, () => {})
  const p = await startProxy(t)
  await p.routes.set('/', { target: backend })
  const base = p.url.replace('http', 'ws')
  const one = await openClient(t, base + '/one')
  const two = await openClient(t, base + '/two')
  await until(() => p.proxy.openWebSockets() === 2)
  t.equal(p.proxy.openWebSockets(), 2)
  t.match(await p.metrics.registry.metrics(), /monohub_proxy_websockets_open 2/)
  one.close()
  await until(() => p.proxy.openWebSockets() === 1)
  t.equal(p.proxy.openWebSockets(), 1)
  const closed = new Promise<void>((resolve) => two.once('close', () => resolve()))
  await p.proxy.close()
  await closed
  await until(() => p.proxy.openWebSockets() === 0)
  t.equal(p.proxy.openWebSockets(), 0)
})

async function upgradeStatus(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      )
    })
    let got = ''
    socket.on('data', (c: Buffer) => (got += c.toString()))
    socket.on('close', () => resolve(got.split('\r\n', 1)[0] ?? ''))
    socket.on('error', reject)
  })
}

t.test('an upgrade to an unknown route gets 404; a bad path 400', async (t) => {
  const p = await startProxy(t)
  t.equal(await upgradeStatus(p.port, '/nowhere'), 'HTTP/1.1 404 Not Found')
  t.equal(await upgradeStatus(p.port, '/bad%zz'), 'HTTP/1.1 400 Bad Request')
})

t.test('an upgrade to an upstream that is down gets 503 and the socket closes', async (t) => {
  const free = createNetServer()
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
  const port = (free.address() as AddressInfo).port
  await new Promise((resolve) => free.close(resolve))
  const p = await startProxy(t)
  await p.routes.set('/user/gone', { target: `http://127.0.0.1:${port}` })
  t.equal(await upgradeStatus(p.port, '/user/gone/ws'), 'HTTP/1.1 503 Service Unavailable')
  // The ws client sees an unexpected response, not a hang.
  const error = await new Promise<string>((resolve) => {
    const ws = new WebSocket(p.url.replace('http', 'ws') + '/user/gone/ws')
    ws.on('error', (err) => resolve(err.message))
  })
  t.match(error, /503/)
  t.equal(p.proxy.openWebSockets(), 0)
})

t.test('stripped request headers never reach a WebSocket target', async (t) => {
  let upgradeHeaders: Record<string, unknown> | undefined
  const backend = await startWsBackend(t, (ws, _url, headers) => {
    upgradeHeaders = headers
    ws.on('message', (data) => ws.send(String(data)))
  })
  const p = await startProxy(t, { stripRequestHeaders: ['x-monohub-secret'] })
  await p.routes.set('/', { target: backend })
  const client = await new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(p.url.replace('http', 'ws') + '/ws', { headers: { 'x-monohub-secret': 'shared', 'x-other': 'kept' } })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
  t.teardown(() => client.close())
  client.send('hi')
  t.equal(await nextMessage(client), 'hi')
  t.equal(upgradeHeaders?.['x-monohub-secret'], undefined)
  t.equal(upgradeHeaders?.['x-other'], 'kept')
})

t.test('an upstream that answers an upgrade with plain HTTP has its answer relayed, then the socket closes', async (t) => {
  const upstream = createNetServer((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nX-Why: policy\r\n\r\nno way'))
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  t.teardown(() => upstream.close())
  const p = await startProxy(t)
  await p.routes.set('/user/a', { target: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` })
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(p.port, '127.0.0.1')
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
    socket.write('GET /user/a/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
  })
  t.match(answer, /^HTTP\/1\.1 403 Forbidden\r\n/)
  t.match(answer, /\r\nX-Why: policy\r\n/)
  t.match(answer, /\r\n\r\nno way$/)
  t.equal(p.proxy.openWebSockets(), 0)
})

t.test('when the upstream closes a joined WebSocket, the client is closed too, and the count drops', async (t) => {
  let serverSide: WebSocket | undefined
  const backend = await startWsBackend(t, (ws) => (serverSide = ws))
  const p = await startProxy(t)
  await p.routes.set('/user/a', { target: backend })
  const ws = await openClient(t, p.url.replace('http', 'ws') + '/user/a/ws')
  await until(() => serverSide !== undefined && p.proxy.openWebSockets() === 1)
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)))
  serverSide!.close(4001, 'bye')
  t.equal(await closed, 4001, 'the close frame came through')
  await until(() => p.proxy.openWebSockets() === 0)
  t.equal(p.proxy.openWebSockets(), 0)
})

t.test('WebSocket upgrades get a route\'s authToken and lose the hub session cookie', async (t) => {
  let upgradeHeaders: Record<string, unknown> | undefined
  const backend = await startWsBackend(t, (ws, _url, headers) => {
    upgradeHeaders = headers
    ws.on('message', (data) => ws.send(String(data)))
  })
  const p = await startProxy(t, { stripCookies: ['monohub-session'] })
  await p.routes.set('/user/alice', { target: backend, user: 'alice', authToken: 'server-secret' })
  const client = await new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(p.url.replace('http', 'ws') + '/user/alice/ws', {
      headers: { authorization: 'token from-client', cookie: 'monohub-session=abc; _xsrf=1' },
    })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
  t.teardown(() => client.close())
  client.send('hi')
  t.equal(await nextMessage(client), 'hi')
  t.equal(upgradeHeaders?.authorization, 'token server-secret')
  t.equal(upgradeHeaders?.cookie, '_xsrf=1')
})
