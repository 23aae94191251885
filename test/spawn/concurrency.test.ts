import t from 'tap'
import { get, startHub, testProcessSpawner, viaRoute } from './spawn-fixture.ts'

t.test('50 demo servers started at once are all ready, routed and answering, in bounded time', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: 'demo' }), startTimeoutMs: 90_000 })
  const users = Array.from({ length: 50 }, (_, i) => `user${i}`)
  const began = Date.now()
  const results = await Promise.allSettled(users.map((u) => hub.manager.start(u)))
  const ms = Date.now() - began
  t.comment(`50 demo servers ready in ${ms} ms`)
  t.same(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), [], 'no failures')
  t.ok(ms < 90_000, 'within 90 s on this shared machine')
  const ports = new Set(users.map((u) => hub.routes.routes.get(`/user/${u}/`)?.origin))
  t.equal(ports.size, 50, 'fifty distinct targets')
  const answers = await Promise.all(users.map(async (u) => {
    const { url, headers } = viaRoute(hub, `/user/${u}/`)
    return JSON.parse((await get(`${url}api`, headers)).body).user as string
  }))
  t.same(answers, users, 'each answers as its own user')
  const stopping = Date.now()
  await hub.manager.stopAll()
  t.comment(`stopped in ${Date.now() - stopping} ms`)
  t.equal(hub.manager.list().length, 0)
  t.equal(hub.routes.routes.size, 0)
})
