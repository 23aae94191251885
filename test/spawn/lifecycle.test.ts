import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { get, pidAlive, startHub, testProcessSpawner, viaRoute, type Hub } from './spawn-fixture.ts'
import { SpawnError, SpawnLimitError } from '../../src/spawn/errors.ts'
import type { ServerEvent } from '../../src/spawn/lifecycle.ts'
import type { ProgressEvent } from '../../src/spawn/progress-feed.ts'

const tiny = fileURLToPath(new URL('./fixtures/tiny-server.mjs', import.meta.url))
const tinyCmd = (...extra: string[]) => [process.execPath, tiny, '--port={port}', ...extra]

async function logOf(hub: Hub, user: string, server = ''): Promise<string> {
  return fs.readFile(path.join(hub.dataDir, 'logs', user, `${server === '' ? '_default' : server}.log`), 'utf8')
}

/** Pids a fixture printed into its log. */
async function pidsInLog(hub: Hub, user: string): Promise<number[]> {
  return [...(await logOf(hub, user)).matchAll(/tiny-server pid=(\d+)/g)].map((m) => Number(m[1]))
}

async function failure(promise: Promise<unknown>): Promise<SpawnError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (!(error instanceof SpawnError)) throw new Error(`expected a SpawnError, got ${String(error)}`)
  return error
}

async function collect(feed: AsyncIterable<ProgressEvent>): Promise<ProgressEvent[]> {
  const events: ProgressEvent[] = []
  for await (const e of feed) events.push(e)
  return events
}

t.test('a custom command gets its placeholders filled, the REFERENCE environment and a token; nothing else of the hub\'s env', async (t) => {
  process.env.MONOHUB_HUB_SECRET_FOR_TEST = 'must-not-leak'
  t.teardown(() => { delete process.env.MONOHUB_HUB_SECRET_FOR_TEST })
  const cmd = tinyCmd('--base={base_url}', '--user={user}', '--server={server}', '--ip={ip}', '--token={token}', '--keep={other}')
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd }), allowNamedServers: true })
  await hub.manager.start('dora', 'lab')
  const { url, headers } = viaRoute(hub, '/user/dora/lab/')
  const answer = JSON.parse((await get(`${url}tree?x=1`, headers)).body)
  const token = headers.authorization!.slice('token '.length)
  const port = new URL(url).port
  t.same(answer.args, ['--port=' + port, '--base=/user/dora/lab/', '--user=dora', '--server=lab', '--ip=127.0.0.1', `--token=${token}`, '--keep={other}'])
  t.equal(answer.path, '/user/dora/lab/tree?x=1')
  t.equal(answer.cwd, path.join(hub.dataDir, 'users', 'dora'))
  t.match(answer.env, {
    JUPYTERHUB_USER: 'dora',
    JUPYTERHUB_SERVER_NAME: 'lab',
    JUPYTERHUB_SERVICE_PREFIX: '/user/dora/lab/',
    JUPYTERHUB_SERVICE_URL: `http://127.0.0.1:${port}/user/dora/lab/`,
    MONOHUB_SERVER_TOKEN: token,
    HOME: path.join(hub.dataDir, 'users', 'dora'),
  })
  t.type(answer.env.USER, 'string')
  t.type(answer.env.PATH, 'string')
  t.equal(answer.env.MONOHUB_HUB_SECRET_FOR_TEST, undefined)
  const header = (await logOf(hub, 'dora', 'lab')).split('\n')[0]!
  t.match(header, /monohub starts \/user\/dora\/lab\/ as .*--token=\*\*\*/, 'the hub\'s own log line shows *** for the token')
  t.notMatch(header, token)
})

t.test('the hub\'s serverEnv provider is passed to the server, and a hash of its API token is kept', async (t) => {
  const hub = await startHub(t, {
    spawner: testProcessSpawner({ cmd: tinyCmd() }),
    serverEnv: ({ user }) => ({ JUPYTERHUB_API_TOKEN: `secret-of-${user}`, JUPYTERHUB_API_URL: 'http://127.0.0.1:1/hub/api' }),
  })
  await hub.manager.start('erin')
  const { url, headers } = viaRoute(hub, '/user/erin/')
  const answer = JSON.parse((await get(url, headers)).body)
  t.equal(answer.env.JUPYTERHUB_API_TOKEN, 'secret-of-erin')
  t.equal(answer.env.JUPYTERHUB_API_URL, 'http://127.0.0.1:1/hub/api')
  t.match(hub.manager.record('erin')!.apiTokenHash, /^[0-9a-f]{64}$/)
})

t.test('a command that is not found fails with a clear message and leaves no route and no record', async (t) => {
  const events: ServerEvent[] = []
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: ['no-such-program-monohub', '--port={port}'] }), onEvent: (e) => events.push(e) })
  const error = await failure(hub.manager.start('fred'))
  t.equal(error.code, 'COMMAND_NOT_FOUND')
  t.match(error.message, /command 'no-such-program-monohub' was not found on PATH/)
  t.match(error.message, /--cmd auto/)
  t.equal(hub.routes.routes.get('/user/fred/'), undefined)
  t.equal(hub.manager.status('fred'), undefined)
  t.match(events, [{ type: 'failed', user: 'fred', code: 'COMMAND_NOT_FOUND' }])
  const progress = await collect(hub.manager.progress('fred'))
  t.match(progress.at(-1), { failed: true, progress: 100, message: /not found/ })
})

t.test('a server that exits at once fails fast with its exit code and log lines; no route, no process', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd('--exit-now') }) })
  const began = Date.now()
  const error = await failure(hub.manager.start('gina'))
  t.ok(Date.now() - began < 5000, 'long before the start timeout')
  t.equal(error.code, 'SERVER_EXITED')
  t.match(error.message, /server \/user\/gina\/ \(http:\/\/127\.0\.0\.1:\d+\) stopped before it answered \(it exited with code 3\)/)
  t.match(error.message, /giving up at once, as asked/)
  t.match(error.logTail, [/monohub starts/, /tiny-server pid=/, /giving up at once/])
  t.equal(hub.routes.routes.get('/user/gina/'), undefined)
  t.equal(hub.manager.status('gina'), undefined)
  for (const pid of await pidsInLog(hub, 'gina')) t.notOk(pidAlive(pid), `pid ${pid} gone`)
})

t.test('a server that never listens is stopped at the start timeout with a clear message; no route, no process', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd('--no-listen') }), startTimeoutMs: 1500 })
  const error = await failure(hub.manager.start('hank'))
  t.equal(error.code, 'SPAWN_TIMEOUT')
  t.match(error.message, /did not answer within 2 s, so it was stopped/)
  t.match(error.message, /tiny-server pid=/)
  t.equal(hub.routes.routes.get('/user/hank/'), undefined)
  t.equal(hub.manager.status('hank'), undefined)
  const pids = await pidsInLog(hub, 'hank')
  t.equal(pids.length, 1)
  t.notOk(pidAlive(pids[0]!), 'process gone')
})

t.test('a server killed from outside loses its route at the next poll, and can start again', async (t) => {
  const events: ServerEvent[] = []
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }), onEvent: (e) => events.push(e) })
  await hub.manager.start('ivan')
  const pid = hub.pid('ivan')
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 20))
  await hub.manager.pollAll()
  t.equal(hub.routes.routes.get('/user/ivan/'), undefined)
  t.equal(hub.manager.status('ivan'), undefined)
  t.match(events.at(-1), { type: 'died', user: 'ivan' })
  const again = await hub.manager.start('ivan')
  t.equal(again.ready, true)
  t.not(hub.pid('ivan'), pid)
})

t.test('the poll loop runs on its own interval', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }), pollIntervalMs: 100 })
  await hub.manager.start('jack')
  process.kill(hub.pid('jack'), 'SIGKILL')
  for (let i = 0; i < 100 && hub.routes.routes.get('/user/jack/') !== undefined; i++) await new Promise((r) => setTimeout(r, 50))
  t.equal(hub.routes.routes.get('/user/jack/'), undefined)
})

t.test('a hub restart re-adopts a running server: route restored, same process, no restart', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }) })
  await hub.manager.start('kate')
  const pid = hub.pid('kate')
  const target = hub.routes.routes.get('/user/kate/')!.data.target
  await hub.manager.close() // the hub exits; the server keeps running
  t.ok(pidAlive(pid))
  await hub.routes.routes.delete('/user/kate/') // lost, so adoption must restore it
  const events: ServerEvent[] = []
  const manager = await hub.reopen({ onEvent: (e) => events.push(e) })
  t.match(manager.status('kate'), { ready: true, pending: null })
  t.equal(hub.routes.routes.get('/user/kate/')?.data.target, target)
  t.equal(hub.pid('kate'), pid)
  t.same(await pidsInLog(hub, 'kate'), [pid], 'started once')
  t.match(events, [{ type: 'adopted', user: 'kate' }])
  const { url, headers } = viaRoute(hub, '/user/kate/')
  t.equal(JSON.parse((await get(url, headers)).body).pid, pid)
})

t.test('a server that died while the hub was down is dropped at adoption with its route', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }) })
  await hub.manager.start('lena')
  await hub.manager.start('mona')
  const pid = hub.pid('lena')
  await hub.manager.close()
  process.kill(pid, 'SIGKILL')
  for (let i = 0; i < 100 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 20))
  await hub.routes.routes.set('/user/ghost/', { target: 'http://127.0.0.1:9', jupyterhub: true, user: 'ghost', server_name: '' })
  await hub.routes.routes.set('/services/x/', { target: 'http://127.0.0.1:9' })
  const manager = await hub.reopen()
  t.equal(manager.status('lena'), undefined)
  t.equal(hub.routes.routes.get('/user/lena/'), undefined)
  t.match(manager.status('mona'), { ready: true })
  t.equal(hub.routes.routes.get('/user/ghost/'), undefined, 'a user route with no server record is removed')
  t.ok(hub.routes.routes.get('/services/x/'), 'other routes stay')
})

t.test('two starts of one server at once share one start and one process', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }) })
  const first = hub.manager.start('nina')
  const second = hub.manager.start('nina')
  t.equal(hub.manager.status('nina')?.pending, 'spawn')
  const [a, b] = await Promise.all([first, second])
  t.same(a, b)
  t.equal((await pidsInLog(hub, 'nina')).length, 1)
  t.match(await hub.manager.start('nina'), { ready: true }, 'a start of a ready server returns it')
  t.equal((await pidsInLog(hub, 'nina')).length, 1)
})

t.test('beyond the concurrent spawn limit a start is refused with 429 and a retry time', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }), concurrentSpawnLimit: 2 })
  const starts = ['olga', 'paul'].map((u) => hub.manager.start(u))
  const error = await failure(hub.manager.start('quin'))
  t.type(error, SpawnLimitError)
  t.equal(error.status, 429)
  t.equal(error.code, 'SPAWN_LIMIT')
  t.ok((error as SpawnLimitError).retryAfterSeconds >= 1)
  await Promise.all(starts)
  t.match(await hub.manager.start('quin'), { ready: true }, 'accepted once the others are done')
})

t.test('stop during a start cancels it and leaves no process or route', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd('--no-listen') }) })
  const starting = hub.manager.start('rita')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(await hub.manager.stop('rita'), true)
  const error = await failure(starting)
  t.equal(error.code, 'SPAWN_CANCELLED')
  t.equal(hub.manager.status('rita'), undefined)
  for (const pid of await pidsInLog(hub, 'rita')) t.notOk(pidAlive(pid))
})

t.test('named servers: off by default, per-user limit, own route', async (t) => {
  const off = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }) })
  t.match(await failure(off.manager.start('sam', 'lab')), { code: 'NAMED_SERVERS_OFF', status: 400 })
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }), allowNamedServers: true, namedServerLimitPerUser: 1 })
  await hub.manager.start('sam', 'lab')
  t.ok(hub.routes.routes.get('/user/sam/lab/'))
  t.match(await failure(hub.manager.start('sam', 'two')), { code: 'NAMED_SERVER_LIMIT', status: 400 })
  await hub.manager.start('sam')
  t.same(hub.manager.list('sam').map((s) => s.name).sort(), ['', 'lab'])
  t.match(await failure(hub.manager.start('sam', '../x')), { code: 'BAD_SERVER_NAME' })
  t.match(await failure(hub.manager.start('Sam')), { code: 'BAD_USER_NAME' })
  t.match(await failure(hub.manager.start('sid', '', { cpu: 2 })), { code: 'BAD_OPTIONS', message: /takes no server options/ })
})

t.test('activity: the later of proxy traffic, reports and the start; reports only move forward', async (t) => {
  let now = 1_000_000
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }), now: () => now })
  await hub.manager.start('tina')
  const started = hub.manager.record('tina')!.started
  t.equal(started, 1_000_000)
  t.ok(hub.manager.serverActivity('tina')! >= started)
  now = 2_000_000
  await hub.manager.recordActivity('tina', '', 1_500_000)
  await hub.manager.recordActivity('tina', '', 1_200_000)
  t.equal(hub.manager.record('tina')!.lastActivity, 1_500_000)
  t.equal(await hub.manager.recordActivity('nobody', '', 1), false)
  await hub.manager.recordActivity('tina', '', 9_000_000)
  t.equal(hub.manager.record('tina')!.lastActivity, 2_000_000, 'a report from the future counts as now')
  const route = hub.routes.routes.get('/user/tina/')!
  route.record.lastActivity = Date.now() + 10_000_000
  t.equal(hub.manager.serverActivity('tina'), route.record.lastActivity, 'proxy traffic counts')
})

t.test('progress: a late subscriber sees the whole start, ending ready', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: tinyCmd() }) })
  const starting = hub.manager.start('uma')
  const live = collect(hub.manager.progress('uma'))
  await starting
  const events = await live
  t.equal(events[0]!.progress, 0)
  t.match(events.at(-1), { progress: 100, ready: true, url: '/user/uma/' })
  t.ok(events.every((e, i) => i === 0 || e.progress >= events[i - 1]!.progress), 'never goes backwards')
  t.match(await collect(hub.manager.progress('uma')), [{ ready: true }])
})
