import t from 'tap'
import { Agent, request } from 'node:http'
import { startBackend, startProxy } from './proxy-fixture.ts'

t.test('500 concurrent requests to one upstream never open more than maxConnectionsPerOrigin sockets', async (t) => {
  const limit = 8
  let connections = 0
  let inFlight = 0
  let maxInFlight = 0
  const backend = await startBackend(t, (_req, res) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    // Hold each answer briefly so requests pile up at the proxy.
    setTimeout(() => {
      inFlight--
      res.end('ok')
    }, 5)
  })
  backend.server.on('connection', () => connections++)
  const p = await startProxy(t, { maxConnectionsPerOrigin: limit })
  await p.routes.set('/', { target: backend.url })

  const url = new URL(p.url)
  const clientAgent = new Agent({ keepAlive: true, maxSockets: 100 })
  t.teardown(() => clientAgent.destroy())
  const statuses = await Promise.all(
    Array.from(
      { length: 500 },
      (_, i) =>
        new Promise<number>((resolve, reject) => {
          request({ host: url.hostname, port: url.port, path: `/r/${i}`, agent: clientAgent }, (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode!))
          })
            .on('error', reject)
            .end()
        }),
    ),
  )
  t.equal(statuses.filter((s) => s === 200).length, 500, 'every request answered 200')
  t.ok(connections <= limit, `upstream saw ${connections} connections (limit ${limit})`)
  t.ok(maxInFlight <= limit, `at most ${maxInFlight} requests in flight upstream`)
  t.ok(connections > 1, 'requests did run in parallel')
})
