import t from 'tap'
import { fileURLToPath } from 'node:url'
import { decideCulls } from '../../src/spawn/culler.ts'
import { startCuller } from '../../src/spawn/culler.ts'
import type { ServerStatus } from '../../src/spawn/lifecycle.ts'
import { startHub, testProcessSpawner } from './spawn-fixture.ts'

const tiny = fileURLToPath(new URL('./fixtures/tiny-server.mjs', import.meta.url))

function server(user: string, fields: Partial<ServerStatus>): ServerStatus {
  return { user, name: '', path: `/user/${user}/`, ready: true, pending: null, started: 0, lastActivity: 0, userOptions: {}, ...fields }
}

t.test('decideCulls: idle beyond the timeout, past max age; never pending or not-ready servers', async (t) => {
  const now = 100_000
  const servers = [
    server('idle', { started: 0, lastActivity: 39_000 }),
    server('active', { started: 0, lastActivity: 95_000 }),
    server('old', { started: 1_000, lastActivity: 99_000 }),
    server('starting', { ready: false, pending: 'spawn', started: 0 }),
    server('stopping', { pending: 'stop', started: 0, lastActivity: 0 }),
    server('fresh', { started: 80_000, lastActivity: undefined }),
  ]
  t.same(decideCulls(servers, now, { idleTimeoutMs: 60_000 }), [{ user: 'idle', server: '', reason: 'idle', forMs: 61_000 }])
  t.same(decideCulls(servers, now, { idleTimeoutMs: 60_000, maxAgeMs: 98_000 }).map((d) => [d.user, d.reason]), [['idle', 'age'], ['active', 'age'], ['old', 'age']])
  t.same(decideCulls(servers, now, { idleTimeoutMs: 0 }), [], 'idle timeout 0 = off')
  t.same(decideCulls([server('x', { started: 0, lastActivity: undefined })], now, { idleTimeoutMs: 50_000 }).map((d) => d.forMs), [100_000], 'no activity: idle since start')
})

t.test('the culler stops an idle server and not an active one; a culled server can start again', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: [process.execPath, tiny, '--port={port}'] }) })
  await hub.manager.start('ann')
  await hub.manager.start('ben')
  let flushed = 0
  const culler = startCuller(hub.manager, {
    idleTimeoutMs: 500,
    intervalMs: 100,
    beforeRound: async () => { flushed++ },
  })
  t.teardown(() => culler.stop())
  // ben's proxy traffic keeps him active; ann has none.
  const ben = hub.routes.routes.get('/user/ben/')!
  const deadline = Date.now() + 10_000
  while (hub.manager.status('ann') !== undefined && Date.now() < deadline) {
    hub.routes.routes.touch(ben)
    await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(hub.manager.status('ann'), undefined, 'idle ann culled')
  t.equal(hub.routes.routes.get('/user/ann/'), undefined)
  t.match(hub.manager.status('ben'), { ready: true }, 'active ben kept')
  t.ok(flushed > 0, 'activity flushed before rounds')
  culler.stop()
  t.match(await hub.manager.start('ann'), { ready: true }, 'ann starts again')
})

t.test('server activity reports keep a server from being culled', async (t) => {
  let now = 1_000_000
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: [process.execPath, tiny, '--port={port}'] }), now: () => now })
  await hub.manager.start('cleo')
  hub.routes.routes.get('/user/cleo/')!.record.lastActivity = 0
  const culler = startCuller(hub.manager, { idleTimeoutMs: 60_000, intervalMs: 60_000, now: () => now })
  t.teardown(() => culler.stop())
  now += 50_000
  await hub.manager.recordActivity('cleo', '', now)
  now += 50_000
  t.same(await culler.runOnce(), [], 'reported 50 s ago: kept')
  now += 20_000
  t.match(await culler.runOnce(), [{ user: 'cleo', reason: 'idle' }])
  t.equal(hub.manager.status('cleo'), undefined)
})
