import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { openRoutes } from '../../src/proxy/open-routes.ts'
import { StoreLockedError } from '../../src/store/errors.ts'
import { tempDir } from './temp-dir.ts'

t.test('a restart restores routes with their data and last activity', async (t) => {
  const dir = await tempDir(t)
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const first = await openRoutes(dir, { now: () => clock })
  await first.routes.set('/user/alice', { target: 'http://127.0.0.1:8001', user: 'alice' })
  await first.routes.set('/user/bob/', { target: 'http://127.0.0.1:8002/base' })
  clock += 60_000
  first.routes.touch(first.routes.get('/user/alice')!)
  await first.close() // writes the pending activity

  const second = await openRoutes(dir)
  t.teardown(second.close)
  t.equal(second.routes.size, 2)
  const alice = second.routes.get('/user/alice')!
  t.same(alice.data, { target: 'http://127.0.0.1:8001', user: 'alice' })
  t.equal(alice.record.lastActivity, Date.parse('2026-01-01T00:01:00Z'))
  t.equal(second.routes.get('/user/bob')!.targetPath, '/base')
  t.equal(second.routes.match('/user/bob/tree/x')?.prefix, '/user/bob', 'the trie is rebuilt for matching')
  t.same(Object.fromEntries(second.routes.list()), {
    '/user/alice': { target: 'http://127.0.0.1:8001', user: 'alice', last_activity: '2026-01-01T00:01:00.000Z' },
    '/user/bob': { target: 'http://127.0.0.1:8002/base', last_activity: '2026-01-01T00:00:00.000Z' },
  })
})

t.test('a deleted route stays deleted after a restart, from the journal and from a snapshot', async (t) => {
  const dir = await tempDir(t)
  const first = await openRoutes(dir)
  await first.routes.set('/a', { target: 'http://127.0.0.1:8001' })
  await first.routes.set('/b', { target: 'http://127.0.0.1:8002' })
  t.equal(await first.routes.delete('/a'), true)
  t.equal(await first.routes.delete('/nothing'), false)
  await first.close()

  const second = await openRoutes(dir, { compactAfterBytes: 1 })
  t.equal(second.routes.get('/a'), undefined)
  await second.routes.set('/c', { target: 'http://127.0.0.1:8003' }) // a commit that triggers a compaction
  await second.routes.delete('/b')
  await second.close()

  const third = await openRoutes(dir)
  t.teardown(third.close)
  t.same([...third.routes.list()].map(([p]) => p), ['/c'])
})

t.test('routes of a data dir already open elsewhere are refused', async (t) => {
  const dir = await tempDir(t)
  const first = await openRoutes(dir)
  t.teardown(first.close)
  await t.rejects(openRoutes(dir), StoreLockedError)
})

t.test('the routes live in routes.json and routes.journal.<n> inside the data dir', async (t) => {
  const dir = path.join(await tempDir(t), 'new-data-dir')
  const opened = await openRoutes(dir)
  await opened.routes.set('/x', { target: 'http://127.0.0.1:8001' })
  t.same((await fs.readdir(dir)).sort(), ['routes.journal.1', 'routes.lock'])
  await opened.close()
  t.same((await fs.readdir(dir)).sort(), ['routes.journal.1'])
})
