import t from 'tap'
import { request } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { startBackend, startEchoBackend, startProxy, until } from './proxy-fixture.ts'
import { seen, send } from './http-client.ts'

t.test('health check answers 200 {"status":"OK"} without any route', async (t) => {
  const p = await startProxy(t)
  const a = await send(p.url, '/_chp_healthz')
  t.equal(a.status, 200)
  t.same(JSON.parse(a.body), { status: 'OK' })
})

t.test('a request with no route gets 404 with an HTML page, or JSON for API clients', async (t) => {
  const p = await startProxy(t)
  const html = await send(p.url, '/user/nobody/tree')
  t.equal(html.status, 404)
  t.match(html.headers['content-type'], /text\/html/)
  t.match(html.body, /No server is routed at this address/)
  t.match(html.body, /\/user\/nobody\/tree/)
  const json = await send(p.url, '/user/nobody/api', { headers: { accept: 'application/json' } })
  t.equal(json.status, 404)
  t.equal(JSON.parse(json.body).status, 404)
  t.type(JSON.parse(json.body).message, 'string')
})

t.test('the 404 page escapes the address it shows', async (t) => {
  const p = await startProxy(t)
  const a = await send(p.url, '/x/%3Cscript%3Ealert(1)%3C/script%3E')
  t.equal(a.status, 404)
  t.notMatch(a.body, /<script>/)
})

t.test('a malformed percent-escape in the path is a 400, not a 500', async (t) => {
  const p = await startProxy(t)
  const backend = await startEchoBackend(t)
  await p.routes.set('/', { target: backend.url })
  const a = await send(p.url, '/user/%zz/tree')
  t.equal(a.status, 400)
  t.match(a.body, /percent-encoding/)
})

t.test('longest prefix wins, on whole segments', async (t) => {
  const p = await startProxy(t)
  const a = await startBackend(t, (req, res) => res.end('A ' + req.url))
  const abc = await startBackend(t, (req, res) => res.end('ABC ' + req.url))
  const root = await startBackend(t, (req, res) => res.end('ROOT ' + req.url))
  await p.routes.set('/user/a', { target: a.url })
  await p.routes.set('/user/abc', { target: abc.url })
  await p.routes.set('/', { target: root.url })
  t.equal((await send(p.url, '/user/a/x')).body, 'A /user/a/x')
  t.equal((await send(p.url, '/user/abc/x')).body, 'ABC /user/abc/x')
  t.equal((await send(p.url, '/user/ab/x')).body, 'ROOT /user/ab/x')
  t.equal((await send(p.url, '/user/a')).body, 'A /user/a')
})

t.test('prependPath and includePrefix build the path as configurable-http-proxy does', async (t) => {
  const backend = await startEchoBackend(t)
  const cases: Array<[Partial<{ prependPath: boolean; includePrefix: boolean }>, string, string, string]> = [
    // [options, target path, request, forwarded]
    [{}, '', '/user/a/tree?x=1', '/user/a/tree?x=1'],
    [{}, '/base', '/user/a/tree?x=1', '/base/user/a/tree?x=1'],
    [{}, '/base/', '/user/a/tree', '/base/user/a/tree'],
    [{ prependPath: false }, '/base', '/user/a/tree', '/user/a/tree'],
    [{ includePrefix: false }, '', '/user/a/tree?x=1', '/tree?x=1'],
    [{ includePrefix: false }, '/base', '/user/a/tree', '/base/tree'],
    [{ includePrefix: false }, '/base', '/user/a', '/base'],
    [{ includePrefix: false }, '', '/user/a', '/'],
    [{ includePrefix: false }, '', '/user/a?q=2', '/?q=2'],
    [{ includePrefix: false, prependPath: false }, '/base', '/user/a/tree', '/tree'],
    [{}, '/base?k=v', '/user/a/tree?x=1', '/base/user/a/tree?k=v&x=1'],
  ]
  for (const [options, targetPath, path, expected] of cases) {
    const p = await startProxy(t, options)
    await p.routes.set('/user/a', { target: backend.url + targetPath })
    t.equal(seen(await send(p.url, path)).url, expected, `${JSON.stringify(options)} target '${targetPath}' ${path}`)
  }
})

t.test('the path stays percent-encoded and the query string untouched', async (t) => {
  const p = await startProxy(t)
  const backend = await startEchoBackend(t)
  await p.routes.set('/user/foo@bar', { target: backend.url })
  const path = '/user/foo%40bar/files/a%20b%2Fc.txt?q=%2F%20x&flag&b=1+2'
  t.equal(seen(await send(p.url, path)).url, path)
})

t.test('dot segments are resolved before matching, as WHATWG URL does', async (t) => {
  const p = await startProxy(t)
  const alice = await startBackend(t, (req, res) => res.end('alice ' + req.url))
  const bob = await startBackend(t, (req, res) => res.end('bob ' + req.url))
  await p.routes.set('/user/alice', { target: alice.url })
  await p.routes.set('/user/bob', { target: bob.url })
  t.equal((await send(p.url, '/user/alice/../bob/x')).body, 'bob /user/bob/x')
  t.equal((await send(p.url, '/user/alice/%2e%2e/bob/y')).body, 'bob /user/bob/y')
})

t.test('status, status message and duplicate-free Date pass through', async (t) => {
  const p = await startProxy(t)
  const backend = await startBackend(t, (_req, res) => {
    res.writeHead(418, 'Short And Stout', { 'content-type': 'text/plain' })
    res.end('teapot')
  })
  await p.routes.set('/', { target: backend.url })
  const a = await send(p.url, '/')
  t.equal(a.status, 418)
  t.equal(a.body, 'teapot')
  const dates = a.rawHeaders.filter((_v, i) => i % 2 === 0 && a.rawHeaders[i]!.toLowerCase() === 'date')
  t.equal(dates.length, 1, 'one Date header')
})

t.test('large request and response bodies stream through', async (t) => {
  const p = await startProxy(t)
  const size = 20 * 1024 * 1024
  const backend = await startBackend(t, (req, res) => {
    if (req.method === 'POST') {
      let n = 0
      req.on('data', (c: Buffer) => (n += c.length))
      req.on('end', () => res.end(String(n)))
      return
    }
    // Response streamed in 64 KiB chunks with backpressure.
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    const chunk = Buffer.alloc(64 * 1024, 120)
    let sent = 0
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
      res.end()
    }
    pump()
  })
  await p.routes.set('/', { target: backend.url })
  // Upload: chunked, 20 MiB.
  const uploaded = await new Promise<string>((resolve, reject) => {
    const url = new URL(p.url)
    const req = request({ host: url.hostname, port: url.port, path: '/upload', method: 'POST', agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    const chunk = Buffer.alloc(256 * 1024, 121)
    let sent = 0
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length
        if (!req.write(chunk)) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    pump()
  })
  t.equal(uploaded, String(size))
  const received = await new Promise<number>((resolve, reject) => {
    const url = new URL(p.url)
    request({ host: url.hostname, port: url.port, path: '/download', agent: false }, (res) => {
      let n = 0
      res.on('data', (c: Buffer) => (n += c.length))
      res.on('end', () => resolve(n))
    })
      .on('error', reject)
      .end()
  })
  t.equal(received, size)
})

t.test('bodies are streamed, not buffered: first bytes arrive before the last are sent', async (t) => {
  const p = await startProxy(t)
  let releaseResponse: (() => void) | undefined
  let uploadStarted = false
  const backend = await startBackend(t, (req, res) => {
    if (req.method === 'POST') {
      req.once('data', () => {
        uploadStarted = true
        req.resume()
      })
      req.on('end', () => res.end('done'))
      return
    }
    res.writeHead(200)
    res.write('first chunk')
    releaseResponse = () => res.end('last chunk')
  })
  await p.routes.set('/', { target: backend.url })
  const url = new URL(p.url)
  // Response: the client sees the first chunk while the backend still holds the rest.
  const firstChunk = await new Promise<string>((resolve, reject) => {
    request({ host: url.hostname, port: url.port, path: '/stream', agent: false }, (res) => {
      res.once('data', (c: Buffer) => {
        resolve(c.toString())
        releaseResponse?.()
        res.resume()
      })
    })
      .on('error', reject)
      .end()
  })
  t.equal(firstChunk, 'first chunk')
  // Request: the backend sees the first chunk while the client has not finished.
  const upload = request({ host: url.hostname, port: url.port, path: '/upload', method: 'POST', agent: false })
  const done = new Promise<void>((resolve, reject) => {
    upload.on('response', (res) => {
      res.resume()
      res.on('end', resolve)
    })
    upload.on('error', reject)
  })
  upload.write('x'.repeat(1024))
  await until(() => uploadStarted)
  t.ok(uploadStarted, 'upstream got data before the request body ended')
  upload.end('y')
  await done
})


t.test('a client that goes away aborts the upstream request', async (t) => {
  const p = await startProxy(t)
  let upstreamClosed = false
  let reached = false
  const backend = await startBackend(t, (req, res) => {
    reached = true
    res.writeHead(200)
    res.write('partial')
    req.socket.on('close', () => (upstreamClosed = true))
  })
  await p.routes.set('/', { target: backend.url })
  const url = new URL(p.url)
  const req = request({ host: url.hostname, port: url.port, path: '/slow', agent: false }, (res) => {
    res.once('data', () => req.destroy())
  })
  req.on('error', () => {})
  req.end()
  await until(() => reached && upstreamClosed)
  t.ok(upstreamClosed, 'upstream saw its connection close')
})

t.test('an upstream that refuses connections gives 503 with a page', async (t) => {
  const p = await startProxy(t)
  const free = createNetServer()
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
  const port = (free.address() as AddressInfo).port
  await new Promise((resolve) => free.close(resolve))
  await p.routes.set('/user/gone', { target: `http://127.0.0.1:${port}` })
  const a = await send(p.url, '/user/gone/tree')
  t.equal(a.status, 503)
  t.match(a.body, /connection refused/)
  t.match(a.body, /restart it/)
})

t.test('an upstream slower than proxyTimeout gives 503, not a hang', async (t) => {
  const p = await startProxy(t, { proxyTimeout: 200 })
  const backend = await startBackend(t, () => {
    /* never answers */
  })
  await p.routes.set('/', { target: backend.url })
  const started = Date.now()
  const a = await send(p.url, '/slow')
  t.equal(a.status, 503)
  t.ok(Date.now() - started < 3_000, 'answered promptly')
})

t.test('--error-target serves the page fetched from <url>/<code>?url=<original>', async (t) => {
  const asked: string[] = []
  const pages = await startBackend(t, (req, res) => {
    asked.push(req.url!)
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<p>custom error page</p>')
  })
  const p = await startProxy(t, { errorTarget: pages.url + '/errors' })
  const a = await send(p.url, '/nothing/here?x=1')
  t.equal(a.status, 404)
  t.equal(a.body, '<p>custom error page</p>')
  t.equal(a.headers['content-type'], 'text/html')
  t.same(asked, ['/errors/404?url=%2Fnothing%2Fhere%3Fx%3D1'])
})

t.test('--error-target that fails falls back to the built-in page', async (t) => {
  // A target that resets every connection: unlike a "free" port, no other
  // process on a busy machine can take it over between close and use.
  const resetting = createNetServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => resetting.close(resolve)))
  const port = (resetting.address() as AddressInfo).port
  const p = await startProxy(t, { errorTarget: `http://127.0.0.1:${port}` })
  const a = await send(p.url, '/nothing')
  t.equal(a.status, 404)
  t.match(a.body, /Nothing here/)
})

t.test('--error-path serves <code>.html, else error.html, else the built-in page', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-error-path-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, '404.html'), '<p>custom 404</p>')
  const p = await startProxy(t, { errorPath: dir })
  const backend = await startEchoBackend(t)
  await p.routes.set('/', { target: backend.url })
  const notFound = await startProxy(t, { errorPath: dir })
  t.equal((await send(notFound.url, '/x')).body, '<p>custom 404</p>')
  t.match((await send(p.url, '/%zz')).body, /Bad request/, 'no 400.html and no error.html: built-in')
  await writeFile(join(dir, 'error.html'), '<p>generic</p>')
  const bad = await send(p.url, '/%zz')
  t.equal(bad.status, 400)
  t.equal(bad.body, '<p>generic</p>')
})

t.test('activity moves when a request starts and when its response ends', async (t) => {
  let clock = 1_000
  const p = await startProxy(t, {}, { now: () => clock })
  let finish: (() => void) | undefined
  const backend = await startBackend(t, (_req, res) => {
    res.writeHead(200)
    res.write('start')
    finish = () => res.end('end')
  })
  await p.routes.set('/user/a', { target: backend.url })
  const route = p.routes.get('/user/a')!
  t.equal(route.record.lastActivity, 1_000)
  clock = 2_000
  const answer = send(p.url, '/user/a/stream')
  await until(() => finish !== undefined)
  t.equal(route.record.lastActivity, 2_000, 'touched at request start')
  clock = 3_000
  finish!()
  await answer
  t.equal(route.record.lastActivity, 3_000, 'touched at response end')
})

t.test('the authorize hook can answer a request itself', async (t) => {
  const backend = await startEchoBackend(t)
  const p = await startProxy(t, {}, {
    authorize: (req, res, route) => {
      if (req.url?.includes('secret') === true) {
        res.writeHead(302, { location: `/hub/login?next=${encodeURIComponent(route.prefix)}` })
        res.end()
        return false
      }
      return true
    },
  })
  await p.routes.set('/user/a', { target: backend.url })
  const redirected = await send(p.url, '/user/a/secret')
  t.equal(redirected.status, 302)
  t.equal(redirected.headers.location, '/hub/login?next=%2Fuser%2Fa')
  t.equal((await send(p.url, '/user/a/open')).status, 200)
})

t.test('host routing matches on the Host header name', async (t) => {
  const p = await startProxy(t, { hostRouting: true, includePrefix: false })
  const a = await startBackend(t, (req, res) => res.end('a ' + req.url))
  const b = await startBackend(t, (req, res) => res.end('b ' + req.url))
  await p.routes.set('/a.example.org', { target: a.url })
  await p.routes.set('/b.example.org/sub', { target: b.url })
  t.equal((await send(p.url, '/x?y', { headers: { host: 'a.example.org:8000' } })).body, 'a /x?y')
  t.equal((await send(p.url, '/sub/x', { headers: { host: 'B.example.org' } })).body, 'b /x')
  t.equal((await send(p.url, '/x', { headers: { host: 'c.example.org' } })).status, 404)
})

t.test('metrics count requests by status and expose every family', async (t) => {
  const p = await startProxy(t)
  const backend = await startEchoBackend(t)
  await p.routes.set('/user/a', { target: backend.url })
  await send(p.url, '/user/a/x')
  await send(p.url, '/none')
  p.metrics.apiCall('post', 201)
  const text = await p.metrics.registry.metrics()
  t.match(text, /monohub_proxy_requests_total\{status="200"\} 1/)
  t.match(text, /monohub_proxy_requests_total\{status="404"\} 1/)
  t.match(text, /monohub_proxy_latency_seconds_count 1/)
  t.match(text, /monohub_proxy_routes 1/)
  t.match(text, /monohub_api_requests_total\{method="POST",status="201"\} 1/)
  t.match(text, /monohub_proxy_websockets_open 0/)
  t.match(text, /process_cpu_user_seconds_total/)
})

t.test('an upstream that dies mid-body cuts the client response instead of ending it cleanly', async (t) => {
  const p = await startProxy(t)
  const backend = await startBackend(t, (req, res) => {
    res.writeHead(200, { 'content-length': '1000' })
    res.write('only part')
    setTimeout(() => req.socket.destroy(), 20)
  })
  await p.routes.set('/', { target: backend.url })
  const url = new URL(p.url)
  const outcome = await new Promise<string>((resolve) => {
    request({ host: url.hostname, port: url.port, path: '/', agent: false }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve('ended'))
      res.on('error', () => resolve('aborted'))
      res.on('aborted', () => resolve('aborted'))
    })
      .on('error', () => resolve('aborted'))
      .end()
  })
  t.equal(outcome, 'aborted')
})
