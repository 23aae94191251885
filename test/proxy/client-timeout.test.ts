/**
 * CHP's --timeout (ProxyOptions.timeout): a client connection that stays idle
 * longer than this is closed, as http-proxy's `timeout` does in CHP — unlike
 * --proxy-timeout, which answers 503 when the target is slow.
 */
import t from 'tap'
import { request } from 'node:http'
import { startBackend, startProxy } from './proxy-fixture.ts'

/** 'closed' when the connection ends without a response, else the status. */
function outcome(base: string, path: string): Promise<number | 'closed'> {
  const url = new URL(base)
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path, agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode!))
    })
    req.on('error', () => resolve('closed'))
    req.end()
  })
}

t.test('a request idle longer than --timeout has its connection closed; a quick one is answered', async (t) => {
  const p = await startProxy(t, { timeout: 200 })
  const backend = await startBackend(t, (req, res) => {
    const delay = req.url === '/slow' ? 1_500 : 0
    const timer = setTimeout(() => res.end('late'), delay)
    res.on('close', () => clearTimeout(timer))
  })
  await p.routes.set('/', { target: backend.url })
  t.equal(await outcome(p.url, '/quick'), 200)
  const started = Date.now()
  t.equal(await outcome(p.url, '/slow'), 'closed')
  const waited = Date.now() - started
  t.ok(waited >= 150 && waited < 1_400, `closed after about the timeout, not after the target answered (${waited} ms)`)
})

t.test('without --timeout (0) a slow target is waited for', async (t) => {
  const p = await startProxy(t, { timeout: 0 })
  const backend = await startBackend(t, (_req, res) => {
    setTimeout(() => res.end('late'), 400)
  })
  await p.routes.set('/', { target: backend.url })
  t.equal(await outcome(p.url, '/slow'), 200)
})
