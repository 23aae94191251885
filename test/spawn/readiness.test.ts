/**
 * Readiness as JupyterHub defines it: a server is ready once its URL answers
 * with anything below 500 — a 404 or a 302 to a login page counts, a 503
 * does not.
 */
import t, { type Test } from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { ServerGoneError, waitReady } from '../../src/spawn/readiness.ts'

/** A server answering `statuses` in turn (the last one from then on), counting requests. */
async function scripted(t: Test, statuses: number[]): Promise<{ url: string; requests: () => number }> {
  let count = 0
  const server = http.createServer((req, res) => {
    const status = statuses[Math.min(count, statuses.length - 1)]!
    count++
    res.writeHead(status, status === 302 ? { location: '/hub/login' } : {})
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/user/x/`, requests: () => count }
}

const alive = async (): Promise<boolean> => true

t.test('5xx answers are not ready; the first answer below 500 is, whatever it is', async (t) => {
  for (const final of [200, 302, 404]) {
    const server = await scripted(t, [503, 502, 500, final])
    await waitReady(server.url, { headers: {}, signal: AbortSignal.timeout(10_000), isAlive: alive })
    t.equal(server.requests(), 4, `ready at the ${final}, after three 5xx answers`)
  }
})

t.test('a server that keeps answering 503 is never ready: the start timeout ends the wait', async (t) => {
  const server = await scripted(t, [503])
  const signal = AbortSignal.timeout(800)
  await t.rejects(waitReady(server.url, { headers: {}, signal, isAlive: alive }), { name: 'TimeoutError' })
  t.ok(server.requests() > 1, 'it was asked more than once')
})

t.test('a server that stopped fails the wait at once instead of at the timeout', async (t) => {
  const began = Date.now()
  await t.rejects(waitReady('http://127.0.0.1:1/user/x/', { headers: {}, signal: AbortSignal.timeout(10_000), isAlive: async () => false, aliveCheckMs: 50 }), ServerGoneError)
  t.ok(Date.now() - began < 3000, 'long before the timeout')
})

t.test('the headers (the server token) go with every probe', async (t) => {
  let seen: string | undefined
  const server = http.createServer((req, res) => {
    seen = req.headers.authorization
    res.writeHead(seen === 'token s3cret' ? 200 : 503)
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  await waitReady(url, { headers: { authorization: 'token s3cret' }, signal: AbortSignal.timeout(5000), isAlive: alive })
  t.equal(seen, 'token s3cret')
})
