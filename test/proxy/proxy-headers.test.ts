/**
 * Headers through the proxy: Host and X-Forwarded-*, custom headers, headers
 * and cookies that must never reach a target, the server token a route
 * injects, Set-Cookie handling and hop-by-hop headers in both directions.
 */
import t from 'tap'
import { startBackend, startEchoBackend, startProxy } from './proxy-fixture.ts'
import { rawRequest, seen, send } from './http-client.ts'

t.test('Host passes through and X-Forwarded-* are added as http-proxy xfwd does', async (t) => {
  const p = await startProxy(t)
  const backend = await startEchoBackend(t)
  await p.routes.set('/', { target: backend.url })
  const plain = seen(await send(p.url, '/x', { headers: { host: 'hub.example.org:8443' } }))
  t.equal(plain.headers.host, 'hub.example.org:8443')
  t.equal(plain.headers['x-forwarded-for'], '127.0.0.1')
  t.equal(plain.headers['x-forwarded-port'], '8443')
  t.equal(plain.headers['x-forwarded-proto'], 'http')
  t.equal(plain.headers['x-forwarded-host'], 'hub.example.org:8443')
  const chained = seen(
    await send(p.url, '/x', {
      headers: { host: 'hub.example.org', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-port': '443', 'x-forwarded-host': 'outer.example.org' },
    }),
  )
  t.equal(chained.headers['x-forwarded-for'], '10.0.0.1,127.0.0.1')
  t.equal(chained.headers['x-forwarded-proto'], 'https,http')
  t.equal(chained.headers['x-forwarded-port'], '443,80')
  t.equal(chained.headers['x-forwarded-host'], 'outer.example.org')
})

t.test('without xForward no X-Forwarded-* are added; custom headers are', async (t) => {
  const p = await startProxy(t, { xForward: false, customHeaders: { 'X-Custom': 'yes', 'x-replaced': 'new' } })
  const backend = await startEchoBackend(t)
  await p.routes.set('/', { target: backend.url })
  const s = seen(await send(p.url, '/x', { headers: { 'x-replaced': 'old' } }))
  t.equal(s.headers['x-forwarded-for'], undefined)
  t.equal(s.headers['x-forwarded-host'], undefined)
  t.equal(s.headers['x-custom'], 'yes')
  t.equal(s.headers['x-replaced'], 'new')
})

t.test('stripped request headers (a trusted front end\'s user and secret) never reach the target', async (t) => {
  const p = await startProxy(t, { stripRequestHeaders: ['X-Monohub-Secret', 'x-forwarded-user'] })
  const backend = await startEchoBackend(t)
  await p.routes.set('/', { target: backend.url })
  const s = seen(await send(p.url, '/x', { headers: { 'x-monohub-secret': 'shared', 'X-Forwarded-User': 'alice', 'x-other': 'kept' } }))
  t.equal(s.headers['x-monohub-secret'], undefined)
  t.equal(s.headers['x-forwarded-user'], undefined)
  t.equal(s.headers['x-other'], 'kept')
})

t.test('a route with an authToken gets it as Authorization instead of what the client sent', async (t) => {
  const p = await startProxy(t)
  const backend = await startEchoBackend(t)
  await p.routes.set('/user/alice', { target: backend.url, user: 'alice', authToken: 'server-secret' })
  await p.routes.set('/plain', { target: backend.url })
  const injected = seen(await send(p.url, '/user/alice/api', { headers: { authorization: 'token from-the-client' } }))
  t.equal(injected.headers.authorization, 'token server-secret')
  t.equal(injected.rawHeaders.filter((name: string) => name.toLowerCase() === 'authorization').length, 1, 'exactly one Authorization header')
  const bare = seen(await send(p.url, '/user/alice/api'))
  t.equal(bare.headers.authorization, 'token server-secret')
  const plain = seen(await send(p.url, '/plain/x', { headers: { authorization: 'token from-the-client' } }))
  t.equal(plain.headers.authorization, 'token from-the-client', 'routes without authToken pass the client\'s header')
})

t.test('stripped cookies (the hub session) never reach a target; other cookies do', async (t) => {
  const p = await startProxy(t, { stripCookies: ['monohub-session'] })
  const backend = await startEchoBackend(t)
  await p.routes.set('/', { target: backend.url })
  const mixed = seen(await send(p.url, '/x', { headers: { cookie: 'a=1; monohub-session=secret.value; _xsrf=2' } }))
  t.equal(mixed.headers.cookie, 'a=1; _xsrf=2')
  const only = seen(await send(p.url, '/x', { headers: { cookie: 'monohub-session=secret' } }))
  t.equal(only.headers.cookie, undefined, 'a Cookie header left empty is dropped')
  const lookalike = seen(await send(p.url, '/x', { headers: { cookie: 'monohub-session-other=1' } }))
  t.equal(lookalike.headers.cookie, 'monohub-session-other=1', 'only the exact name is removed')
})

t.test('a Set-Cookie set before forwarding (a refreshed session) is kept next to the upstream\'s', async (t) => {
  const backend = await startBackend(t, (_req, res) => {
    res.writeHead(200, [['Set-Cookie', 'up=1'], ['Set-Cookie', 'up2=2']].flat())
    res.end('ok')
  })
  const p = await startProxy(t, {}, {
    authorize: (_req, res) => {
      res.appendHeader('set-cookie', 'monohub-session=refreshed')
      return true
    },
  })
  await p.routes.set('/', { target: backend.url })
  const response = await fetch(p.url + '/x')
  t.same(response.headers.getSetCookie().sort(), ['monohub-session=refreshed', 'up2=2', 'up=1'])
})

t.test('hop-by-hop headers are dropped both ways; auth and cookies kept', async (t) => {
  const p = await startProxy(t)
  const received: Array<Record<string, string | string[] | undefined>> = []
  const backend = await startBackend(t, (req, res) => {
    received.push(req.headers)
    res.writeHead(200, [
      'Connection', 'X-Secret-Hop',
      'X-Secret-Hop', 'drop me',
      'Keep-Alive', 'timeout=5',
      'Proxy-Connection', 'keep-alive',
      'Trailer', 'X-Checksum',
      'Upgrade', 'h2c',
      'X-Kept', 'yes',
      'Set-Cookie', 'a=1; Path=/',
      'Set-Cookie', 'b=2; Path=/; HttpOnly',
      'Set-Cookie', 'c=3',
    ])
    res.end('ok')
  })
  await p.routes.set('/', { target: backend.url })
  // Raw, so the client sends exactly these headers.
  const head = await rawRequest(
    p.port,
    'GET /x HTTP/1.1\r\nHost: example.org\r\nConnection: keep-alive, X-Hop-Named\r\nX-Hop-Named: drop me\r\nKeep-Alive: timeout=5\r\n' +
      'Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Foo\r\nUpgrade: h2c\r\nAuthorization: token abc\r\n' +
      'Proxy-Authorization: Basic xyz\r\nCookie: session=1\r\n\r\n',
  )
  t.match(head, /^HTTP\/1\.1 200 /)
  const a = await send(p.url, '/x')
  t.equal(a.status, 200)
  const h = received[0]!
  for (const name of ['x-hop-named', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']) t.equal(h[name], undefined, `request ${name} dropped`)
  t.equal(h.authorization, 'token abc')
  t.equal(h['proxy-authorization'], 'Basic xyz')
  t.equal(h.cookie, 'session=1')
  for (const name of ['x-secret-hop', 'keep-alive', 'proxy-connection', 'trailer', 'upgrade']) t.equal(a.headers[name], undefined, `response ${name} dropped`)
  t.equal(a.headers['x-kept'], 'yes')
  t.same(a.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/; HttpOnly', 'c=3'])
})
