import t from 'tap'
import { spawn } from 'node:child_process'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { AUTH, ISO, TOKEN, call, post, startApi, userRoute, type Reply, type Tap } from './chp-api-harness.ts'

/**
 * Compatibility with the real configurable-http-proxy 5.3 (a devDependency).
 *
 * The same requests go to CHP and to monohub; status codes and JSON bodies
 * (with last_activity values replaced by a placeholder once checked to be ISO)
 * must match. Not compared here, because monohub is stricter or clearer on
 * purpose (each is tested in chp-api.test.ts):
 * - error bodies: CHP sends plain text (empty on 403), monohub `{status, message}` JSON;
 * - 405: monohub adds an Allow header;
 * - a POST without the token but with bad JSON: CHP 400 (parses first), monohub 403;
 * - non-http(s) targets: CHP 201, monohub 400;
 * - bodies over the limit: CHP buffers them, monohub 413;
 * - malformed %-escapes in the path, and DELETE /api/routes: CHP never answers, monohub 400 / deletes "/".
 */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}

async function startChp(t: Tap): Promise<string> {
  const bin = fileURLToPath(new URL('../../node_modules/configurable-http-proxy/bin/configurable-http-proxy', import.meta.url))
  const [port, apiPort] = [await freePort(), await freePort()]
  // Through sh, to drop the NODE_OPTIONS that tap's process tracking adds to every child: its
  // loader hooks make CHP's ESM entry point fail with ERR_REQUIRE_CYCLE_MODULE.
  const child = spawn('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$0" "$@"', process.execPath, bin, '--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--log-level', 'error'], {
    env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  t.teardown(() => {
    child.kill()
  })
  const base = `http://127.0.0.1:${apiPort}`
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`configurable-http-proxy exited (${child.exitCode}): ${stderr}`)
    const ok = await fetch(base + '/api/routes', { headers: AUTH, signal: AbortSignal.timeout(1000) }).then((r) => r.status === 200, () => false)
    if (ok) return base
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`configurable-http-proxy did not answer on ${base} within 15 s: ${stderr}`)
}

/** Status, and for JSON bodies the body with each last_activity checked and replaced. */
function comparable(reply: Reply, isError: boolean): { status: number; body: unknown } {
  const scrub = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value
    const out: Record<string, unknown> = {}
    for (const [key, inner] of Object.entries(value)) {
      out[key] = key === 'last_activity' ? (typeof inner === 'string' && ISO.test(inner) ? '<ISO>' : `not ISO: ${String(inner)}`) : scrub(inner)
    }
    return out
  }
  if (isError || reply.status >= 400) return { status: reply.status, body: '<error>' }
  return { status: reply.status, body: reply.text === '' ? '' : scrub(reply.json) }
}

t.test('the same requests get the same answers from CHP 5.3 and monohub', async (t) => {
  const [chp, mono] = [await startChp(t), (await startApi(t)).base]
  const wrong = { Authorization: 'token wrong' }
  const steps: Array<[string, (base: string) => Promise<Reply>]> = [
    ['GET list, no token', (b) => call(b, 'GET', '/api/routes', { headers: {} })],
    ['GET list, wrong token', (b) => call(b, 'GET', '/api/routes', { headers: wrong })],
    ['POST, wrong token', (b) => post(b, '/api/routes/user/alice', userRoute('alice'), wrong)],
    ['GET empty list', (b) => call(b, 'GET', '/api/routes')],
    ['POST user route', (b) => post(b, '/api/routes/user/alice', userRoute('alice'))],
    ['POST encoded @', (b) => post(b, '/api/routes/user/foo%40bar', userRoute('foo@bar'))],
    ['POST trailing slash', (b) => post(b, '/api/routes/user/bob/', userRoute('bob'))],
    ['POST text/plain', (b) => call(b, 'POST', '/api/routes/services/x', { headers: { ...AUTH, 'Content-Type': 'text/plain' }, body: '{"target":"http://127.0.0.1:7000","service":"x"}' })],
    ['POST root', (b) => post(b, '/api/routes', { target: 'http://127.0.0.1:8081', hub: true })],
    ['GET list', (b) => call(b, 'GET', '/api/routes')],
    ['GET list with slash', (b) => call(b, 'GET', '/api/routes/')],
    ['GET one', (b) => call(b, 'GET', '/api/routes/user/alice')],
    ['GET one, trailing slash', (b) => call(b, 'GET', '/api/routes/user/alice/')],
    ['GET one decoded', (b) => call(b, 'GET', '/api/routes/user/foo@bar')],
    ['GET one encoded', (b) => call(b, 'GET', '/api/routes/user/foo%40bar')],
    ['GET one, slash stripped', (b) => call(b, 'GET', '/api/routes/user/bob')],
    ['GET missing', (b) => call(b, 'GET', '/api/routes/user/nobody')],
    ['POST replace', (b) => post(b, '/api/routes/user/alice', { ...userRoute('alice', 9001), server_name: 'gpu' })],
    ['GET replaced', (b) => call(b, 'GET', '/api/routes/user/alice')],
    ['GET inactive_since future', (b) => call(b, 'GET', '/api/routes?inactive_since=2999-01-01T00:00:00Z')],
    ['GET inactive_since past', (b) => call(b, 'GET', '/api/routes?inactive_since=2000-01-01T00:00:00Z')],
    ['GET inactive_since bad', (b) => call(b, 'GET', '/api/routes?inactive_since=notadate')],
    ['POST invalid JSON', (b) => post(b, '/api/routes/user/carol', '{"target":')],
    ['POST empty body', (b) => post(b, '/api/routes/user/carol', '')],
    ['POST null', (b) => post(b, '/api/routes/user/carol', 'null')],
    ['POST array', (b) => post(b, '/api/routes/user/carol', '[]')],
    ['POST no target', (b) => post(b, '/api/routes/user/carol', { user: 'carol' })],
    ['POST numeric target', (b) => post(b, '/api/routes/user/carol', { target: 1 })],
    ['DELETE existing', (b) => call(b, 'DELETE', '/api/routes/user/alice')],
    ['DELETE again', (b) => call(b, 'DELETE', '/api/routes/user/alice')],
    ['DELETE encoded', (b) => call(b, 'DELETE', '/api/routes/user/foo%40bar/')],
    ['PUT', (b) => call(b, 'PUT', '/api/routes/user/bob', { body: '{}' })],
    ['PATCH', (b) => call(b, 'PATCH', '/api/routes')],
    ['unknown API path', (b) => call(b, 'GET', '/api/users')],
    ['routes prefix without slash', (b) => call(b, 'GET', '/api/routesx')],
    ['root path', (b) => call(b, 'GET', '/')],
    ['GET final list', (b) => call(b, 'GET', '/api/routes')],
  ]
  for (const [name, step] of steps) {
    const theirs = comparable(await step(chp), false)
    const ours = comparable(await step(mono), false)
    t.same(ours, theirs, name)
  }
})
