import t from 'tap'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ProxyStartError, startMonohubProxy } from '../helpers/monohub-proxy.ts'
import { startEchoBackend, type Echo } from '../helpers/echo-backend.ts'

const ROUTES = 300
const IN_FLIGHT = 10

t.test('every acknowledged route survives kill -9 and proxies immediately after restart', async (t) => {
  const backends = [await startEchoBackend(t, 'b0'), await startEchoBackend(t, 'b1'), await startEchoBackend(t, 'b2')]
  const first = await startMonohubProxy(t)

  // Add routes with IN_FLIGHT requests at a time, as JupyterHub does; remember those acknowledged with 201.
  const acknowledged = new Map<string, number>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < ROUTES) {
      const i = next++
      const res = await first.api(`/api/routes/user/u${i}`, { method: 'POST', body: JSON.stringify({ target: backends[i % 3]!.url, user: `u${i}` }) })
      if (res.status === 201) acknowledged.set(`/user/u${i}`, i % 3)
    }
  }
  const addStart = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  const addMs = performance.now() - addStart
  t.equal(acknowledged.size, ROUTES, 'every add acknowledged')
  // A delete acknowledged before the crash must stay deleted.
  t.equal((await first.api('/api/routes/user/u0', { method: 'DELETE' })).status, 204)
  acknowledged.delete('/user/u0')

  t.same(await first.kill('SIGKILL'), { code: null, signal: 'SIGKILL' })

  const second = await startMonohubProxy(t, { dataDir: first.dataDir })
  t.comment(`${ROUTES} routes added in ${addMs.toFixed(0)} ms (${IN_FLIGHT} in flight); restart after kill -9 took ${second.startMs.toFixed(0)} ms until both listeners answered`)

  // Proxying first, before any API call: the table is there at once.
  for (const i of [1, 2, 150, ROUTES - 1]) {
    const res = await fetch(`${second.url}/user/u${i}/api/status`)
    t.equal(res.status, 200, `/user/u${i} proxies right after restart`)
    t.equal(((await res.json()) as Echo).backend, `b${i % 3}`)
  }
  t.equal((await fetch(`${second.url}/user/u0/`)).status, 404, 'the deleted route stays deleted')

  const listed = (await (await second.api('/api/routes')).json()) as Record<string, { target: string }>
  const missing = [...acknowledged.keys()].filter((path) => listed[path]?.target !== backends[acknowledged.get(path)!]!.url)
  t.same(missing, [], 'every acknowledged route is back with its target')
  t.notOk('/user/u0' in listed)
})

t.test('a corrupt routes.json stops the start with exit 1, naming the file, and no stack trace', async (t) => {
  const first = await startMonohubProxy(t)
  t.equal((await first.api('/api/routes/user/a', { method: 'POST', body: JSON.stringify({ target: 'http://127.0.0.1:9' }) })).status, 201)
  t.same(await first.kill('SIGTERM'), { code: 0, signal: null })
  const file = join(first.dataDir, 'routes.json')
  await writeFile(file, '{"routes": {"/user/a": {"data": {"target": "http://127.0.0.1:9"}, "lastAct')

  const err = await startMonohubProxy(t, { dataDir: first.dataDir }).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.type(err, ProxyStartError, 'the process does not start (with an empty table or otherwise)')
  const failure = err as ProxyStartError
  t.equal(failure.exit.code, 1)
  t.match(failure.stderr, /^error: .*routes\.json/)
  t.notMatch(failure.stderr, /\n\s+at /, 'no stack trace')
  t.ok((await readdir(first.dataDir)).includes('routes.json'), 'the damaged file is left for a person to look at')
})
