import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Low } from 'lowdb'
import { JSONFile } from 'lowdb/node'
import { openStore } from '../../src/store/durable-store.ts'
import type { StoreOptions } from '../../src/store/store.ts'
import { StateFileError, StoreClosedError, StoreLockedError } from '../../src/store/errors.ts'
import { tempDir } from './temp-dir.ts'

/** Counts how often each id was applied: a lost op shows as 0, a doubled one as 2. */
interface Tally {
  seen: Record<string, number>
  log: string[]
}
type TallyOp = { id: string }

function tallyOptions(dir: string, extra: Partial<StoreOptions<Tally, TallyOp>> = {}): StoreOptions<Tally, TallyOp> {
  return {
    dir,
    name: 'tally',
    initial: () => ({ seen: {}, log: [] }),
    apply: (state, op) => {
      state.seen[op.id] = (state.seen[op.id] ?? 0) + 1
      state.log.push(op.id)
    },
    onWarning: () => {},
    ...extra,
  }
}

t.test('changes survive a reopen, in order, and the state is visible before commit resolves', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(tallyOptions(dir))
  const done = store.commit({ id: 'a' })
  t.same(store.state.log, ['a'], 'applied at once')
  await done
  await store.commit({ id: 'b' })
  await store.close()
  const again = await openStore(tallyOptions(dir))
  t.same(again.state.log, ['a', 'b'])
  await again.close()
})

t.test('onLoad sees the snapshot before the journal is replayed', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(tallyOptions(dir))
  await store.commit({ id: 'in-snapshot' })
  await store.compact()
  await store.commit({ id: 'in-journal' })
  await store.close()
  let loaded: string[] = []
  const again = await openStore(tallyOptions(dir, { onLoad: (state) => (loaded = [...state.log]) }))
  t.same(loaded, ['in-snapshot'])
  t.same(again.state.log, ['in-snapshot', 'in-journal'])
  await again.close()
})

t.test('the data dir is created with mode 0700 and the snapshot with 0600, as a plain lowdb file', async (t) => {
  const parent = await tempDir(t)
  const dir = path.join(parent, 'data')
  const store = await openStore(tallyOptions(dir))
  await store.commit({ id: 'x' })
  await store.compact()
  await store.close()
  t.equal((await fs.stat(dir)).mode & 0o777, 0o700)
  const snapshot = path.join(dir, 'tally.json')
  t.equal((await fs.stat(snapshot)).mode & 0o777, 0o600)
  const db = new Low(new JSONFile<unknown>(snapshot), {})
  await db.read()
  t.same(db.data, { version: 1, journalSegment: 2, state: { seen: { x: 1 }, log: ['x'] } })
  t.same((await fs.readdir(dir)).sort(), ['tally.json'], 'old journal segments removed, lock released')
})

t.test('a corrupt snapshot is a StateFileError naming the file, and the lock is released', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'tally.json')
  await fs.writeFile(file, '{"version":1,"journalSegment":1,"state":{"seen":{')
  const error = await openStore(tallyOptions(dir)).catch((e: unknown) => e)
  t.type(error, StateFileError)
  t.equal((error as StateFileError).file, file)
  t.match((error as Error).message, `state file ${file} is not valid JSON at byte 49`)
  await t.rejects(fs.stat(path.join(dir, 'tally.lock')), { code: 'ENOENT' })
})

t.test('a JSON file that is not a snapshot is refused, not overwritten', async (t) => {
  const dir = await tempDir(t)
  await fs.writeFile(path.join(dir, 'tally.json'), '{"seen":{}}')
  await t.rejects(openStore(tallyOptions(dir)), { code: 'STATE_FILE_CORRUPT', message: /is not a monohub store snapshot/ })
  t.equal(await fs.readFile(path.join(dir, 'tally.json'), 'utf8'), '{"seen":{}}')
})

t.test('a corrupt line in the middle of the journal stops the open, naming file and line', async (t) => {
  const dir = await tempDir(t)
  await fs.writeFile(path.join(dir, 'tally.journal.1'), '{"id":"a"}\nnot json\n{"id":"c"}\n')
  await t.rejects(openStore(tallyOptions(dir)), {
    code: 'STATE_FILE_CORRUPT',
    message: `journal ${path.join(dir, 'tally.journal.1')} line 2 is not valid JSON`,
  })
})

t.test('a torn last journal line is dropped with a warning and the store goes on', async (t) => {
  const dir = await tempDir(t)
  await fs.writeFile(path.join(dir, 'tally.journal.1'), '{"id":"a"}\n{"id":"b"')
  const warnings: string[] = []
  const store = await openStore(tallyOptions(dir, { onWarning: (m) => warnings.push(m) }))
  t.same(store.state.log, ['a'])
  t.equal(warnings.length, 1)
  await store.commit({ id: 'c' })
  await store.close()
  const again = await openStore(tallyOptions(dir))
  t.same(again.state.log, ['a', 'c'])
  await again.close()
})

t.test('a second open of the same store is refused while the first is open', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(tallyOptions(dir))
  await t.rejects(openStore(tallyOptions(dir)), StoreLockedError)
  await store.close()
  const again = await openStore(tallyOptions(dir))
  await again.close()
})

t.test('commit after close is refused and changes nothing', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(tallyOptions(dir))
  await store.close()
  await t.rejects(store.commit({ id: 'late' }), StoreClosedError)
  t.same(store.state.log, [])
  await t.rejects(store.compact(), StoreClosedError)
  await store.close()
})

t.test('an op that apply refuses is not journalled', async (t) => {
  const dir = await tempDir(t)
  const options = tallyOptions(dir)
  const apply = options.apply
  options.apply = (state, op) => {
    if (op.id === 'bad') throw new Error('refused')
    apply(state, op)
  }
  const store = await openStore(options)
  await t.rejects(store.commit({ id: 'bad' }), /refused/)
  await store.commit({ id: 'good' })
  await store.close()
  const again = await openStore(options)
  t.same(again.state.log, ['good'])
  await again.close()
})

t.test('compaction while commits are in flight loses nothing and applies nothing twice', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(tallyOptions(dir, { compactAfterBytes: 2000 }))
  const ids: string[] = []
  let next = 0
  const workers = Array.from({ length: 10 }, async () => {
    while (next < 3000) {
      const id = `op${next++}`
      ids.push(id)
      await store.commit({ id })
    }
  })
  // Forced compactions on top of the background ones.
  const forced = (async () => {
    while (next < 3000) {
      await store.compact()
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  })()
  await Promise.all([...workers, forced])
  await store.close()
  const again = await openStore(tallyOptions(dir))
  t.same(again.state.log, ids, 'every op, once, in commit order')
  t.ok(Object.values(again.state.seen).every((n) => n === 1))
  await again.close()
  const journals = (await fs.readdir(dir)).filter((f) => f.includes('.journal.'))
  t.ok(journals.length <= 2, `old segments are removed (left: ${journals.join(', ')})`)
})

t.test('a compaction cut short leaves a store that opens with every change', async (t) => {
  const dir = await tempDir(t)
  const store = await openStore(tallyOptions(dir))
  await store.commit({ id: 'a' })
  await store.compact()
  await store.commit({ id: 'b' })
  await store.close()
  // As if the process died after writing the next segment but before the new snapshot was durable:
  // the snapshot still names segment 2, segment 3 exists, and a leftover segment 1 lingers.
  await fs.writeFile(path.join(dir, 'tally.journal.3'), '{"id":"c"}\n')
  await fs.writeFile(path.join(dir, 'tally.journal.1'), '{"id":"a"}\n')
  const again = await openStore(tallyOptions(dir))
  t.same(again.state.log, ['a', 'b', 'c'])
  t.notOk((await fs.readdir(dir)).includes('tally.journal.1'), 'a segment the snapshot already holds is removed')
  await again.commit({ id: 'd' })
  await again.close()
  const third = await openStore(tallyOptions(dir))
  t.same(third.state.log, ['a', 'b', 'c', 'd'])
  await third.close()
})

t.test('a snapshot that cannot be written is a warning; every change stays in the journal', async (t) => {
  const dir = await tempDir(t)
  // A folder where the snapshot's temp file goes makes every snapshot write fail.
  await fs.mkdir(path.join(dir, 'tally.json.tmp'))
  const warnings: string[] = []
  const store = await openStore(tallyOptions(dir, { compactAfterBytes: 50, onWarning: (m) => warnings.push(m) }))
  for (let i = 0; i < 20; i++) await store.commit({ id: `op${i}` })
  await t.rejects(store.compact(), { code: 'EISDIR' })
  await store.close()
  t.ok(warnings.length > 0)
  t.match(warnings[0], `could not write the snapshot ${path.join(dir, 'tally.json')}`)
  await fs.rmdir(path.join(dir, 'tally.json.tmp'))
  const again = await openStore(tallyOptions(dir))
  t.same(again.state.log, Array.from({ length: 20 }, (_, i) => `op${i}`))
  await again.close()
})
