/**
 * WebSocket upgrades to user routes are authorized like HTTP requests, on
 * the hub's single server: alice's session (or an admin's, or a token with
 * access:servers) opens /user/alice/…; another user gets 403; no or a bad
 * cookie 401 — and a refused upgrade never reaches the server. The header
 * authenticator's front-end headers are stripped from upgrades too.
 */
import t, { type Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { createToken } from '../../src/auth/tokens.ts'
import { startHub, logIn, formXsrf, type TestHub } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'

interface WsBackend {
  url: string
  /** Headers of each upgrade request that reached the backend. */
  upgrades: http.IncomingHttpHeaders[]
}

/** A WebSocket echo server that records who reached it. */
async function startWsBackend(t: Test): Promise<WsBackend> {
  const server = http.createServer((_req, res) => res.end('http'))
  const wss = new WebSocketServer({ server })
  const backend: WsBackend = { url: '', upgrades: [] }
  wss.on('connection', (socket, req) => {
    backend.upgrades.push(req.headers)
    socket.on('message', (data) => socket.send(`echo:${String(data)}`))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return backend
}

type Attempt = { status: 101; echo: string } | { status: number; body: string }

/** Opens a WebSocket with the given headers; on success sends one message and returns the echo. */
function attempt(url: string, headers: Record<string, string>): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 5_000 })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.on('open', () => ws.send('hello'))
    ws.on('message', (data) => {
      resolve({ status: 101, echo: String(data) })
      ws.close()
    })
    ws.on('error', (err) => reject(err))
  })
}

async function hubWithUsers(t: Test, config: Record<string, unknown> = {}): Promise<{ h: TestHub; backend: WsBackend; ws: string }> {
  const h = await startHub(t, { config })
  const backend = await startWsBackend(t)
  await h.hub.routes.set('/user/alice', { target: backend.url, user: 'alice', server_name: '' })
  if (h.adminPassword !== undefined) {
    const admin = new Browser(h.url)
    await logIn(admin, 'admin', h.adminPassword)
    for (const name of ['alice', 'bob']) await admin.submit('/hub/admin/users', { name, password: `${name}-password`, _xsrf: await formXsrf(admin, '/hub/admin') })
  }
  return { h, backend, ws: `${h.url.replace('http:', 'ws:')}/user/alice/api/kernels/k1/channels` }
}

async function cookieOf(h: TestHub, name: string, password = `${name}-password`): Promise<string> {
  const b = new Browser(h.url)
  const { response } = await logIn(b, name, password)
  if (response.status !== 200) throw new Error(`login of ${name} failed`)
  return `monohub-session=${b.cookies.get('monohub-session')}`
}

t.test('alice\'s session opens a WebSocket to her server; bob gets 403, nobody 401, a forged cookie 401; an admin passes', async (t) => {
  const { h, backend, ws } = await hubWithUsers(t)
  const alice = await cookieOf(h, 'alice')
  t.same(await attempt(ws, { cookie: alice }), { status: 101, echo: 'echo:hello' }, 'alice')
  t.equal(backend.upgrades.length, 1)

  const bob = await attempt(ws, { cookie: await cookieOf(h, 'bob') })
  t.equal(bob.status, 403, 'bob')
  t.match((bob as { body: string }).body, /belongs to another user/)
  const anonymous = await attempt(ws, {})
  t.equal(anonymous.status, 401, 'no cookie')
  t.match((anonymous as { body: string }).body, /log in to the hub first/)
  const value = alice.slice('monohub-session='.length)
  const forged = `monohub-session=${value.slice(0, -3)}${value.at(-3) === 'x' ? 'y' : 'x'}${value.slice(-2)}`
  t.equal((await attempt(ws, { cookie: forged })).status, 401, 'forged cookie')
  t.equal((await attempt(ws, { cookie: 'monohub-session=garbage' })).status, 401, 'malformed cookie')
  t.equal(backend.upgrades.length, 1, 'no refused upgrade reached the server')

  t.same(await attempt(ws, { cookie: await cookieOf(h, 'admin', h.adminPassword!) }), { status: 101, echo: 'echo:hello' }, 'an admin')
})

t.test('an API token with access:servers for alice opens the WebSocket; a narrower or foreign one does not', async (t) => {
  const { h, ws } = await hubWithUsers(t)
  const now = Date.now()
  const good = createToken({ owner: 'alice', now, scopes: ['access:servers!user=alice'] })
  const narrow = createToken({ owner: 'alice', now, scopes: ['read:users!user=alice'] })
  const bobs = createToken({ owner: 'bob', now })
  for (const tok of [good, narrow, bobs]) await h.hub.store.commit({ op: 'token.put', token: tok.record })
  t.same(await attempt(ws, { authorization: `token ${good.token}` }), { status: 101, echo: 'echo:hello' }, 'token')
  t.same(await attempt(ws, { authorization: `Bearer ${good.token}` }), { status: 101, echo: 'echo:hello' }, 'bearer')
  t.equal((await attempt(ws, { authorization: `token ${narrow.token}` })).status, 403, 'without access:servers')
  t.equal((await attempt(ws, { authorization: `token ${bobs.token}` })).status, 403, 'bob\'s token')
  t.equal((await attempt(ws, { authorization: 'token mh_not-a-real-token' })).status, 401, 'unknown token')
})

t.test('after "log out everywhere" the old cookie cannot open new WebSockets', async (t) => {
  const { h, ws } = await hubWithUsers(t)
  const alice = await cookieOf(h, 'alice')
  t.equal((await attempt(ws, { cookie: alice })).status, 101)
  await h.hub.store.commit({ op: 'user.bumpGeneration', name: 'alice' })
  t.equal((await attempt(ws, { cookie: alice })).status, 401)
})

t.test('WebSocket upgrades under /hub/ are refused (the hub has none)', async (t) => {
  const { h } = await hubWithUsers(t)
  t.equal((await attempt(`${h.url.replace('http:', 'ws:')}/hub/api/events`, {})).status, 404)
})

t.test('the header authenticator\'s user, groups and secret headers are stripped from upgrades', async (t) => {
  const secret = 'front-end-shared-secret-0123456789'
  const h = await startHub(t, { config: { authenticator: { kind: 'header', trustedAddresses: ['127.0.0.1'], secret, groupsHeader: 'X-Forwarded-Groups' }, allowAll: true } })
  const backend = await startWsBackend(t)
  await h.hub.routes.set('/user/alice', { target: backend.url, user: 'alice', server_name: '' })
  const frontEnd = { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'staff', 'x-monohub-secret': secret }
  const login = await fetch(`${h.url}/hub/login`, { headers: frontEnd, redirect: 'manual' })
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith('monohub-session='))!.split(';')[0]!
  const opened = await attempt(`${h.url.replace('http:', 'ws:')}/user/alice/terminals/websocket/1`, { ...frontEnd, cookie: `${cookie}; _xsrf=1` })
  t.equal(opened.status, 101)
  const seen = backend.upgrades[0]!
  t.notOk('x-forwarded-user' in seen)
  t.notOk('x-forwarded-groups' in seen)
  t.notOk('x-monohub-secret' in seen)
  t.equal(seen.cookie, '_xsrf=1', 'other cookies pass; the hub session cookie does not')
})
