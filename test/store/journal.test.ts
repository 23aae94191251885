import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Journal, replayJournal } from '../../src/store/journal.ts'
import { StateFileError, StoreWriteError } from '../../src/store/errors.ts'
import { tempDir } from './temp-dir.ts'

async function replayAll(file: string, tolerateTornTail = true, warnings: string[] = []): Promise<{ entries: unknown[]; size: number }> {
  const entries: unknown[] = []
  const size = await replayJournal(file, (entry) => entries.push(entry), { tolerateTornTail, onWarning: (m) => warnings.push(m) })
  return { entries, size }
}

t.test('concurrent appends share fsyncs, all resolve, and replay in append order', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  const journal = new Journal({ file })
  const count = 500
  await Promise.all(Array.from({ length: count }, (_, i) => journal.append({ i })))
  t.ok(journal.syncs >= 1 && journal.syncs < count / 10, `${count} appends took ${journal.syncs} fsyncs`)
  await journal.close()
  const { entries, size } = await replayAll(file)
  t.same(entries, Array.from({ length: count }, (_, i) => ({ i })))
  t.equal(size, (await fs.stat(file)).size)
  t.equal(size, journal.size)
})

t.test('ten callers in a loop, each waiting for its last append, are grouped too', async (t) => {
  const dir = await tempDir(t)
  const journal = new Journal({ file: path.join(dir, 'j.journal.1') })
  let next = 0
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (next < 1000) await journal.append({ i: next++ })
  }))
  t.ok(journal.syncs < 250, `1000 appends, 10 in flight, took ${journal.syncs} fsyncs`)
  await journal.close()
})

t.test('a journal created fresh has mode 0600', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  const journal = new Journal({ file })
  await journal.append({ a: 1 })
  await journal.close()
  t.equal((await fs.stat(file)).mode & 0o777, 0o600)
})

t.test('appending to an existing journal keeps what is there', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  await fs.writeFile(file, '{"a":1}\n')
  const journal = new Journal({ file, size: 8 })
  await journal.append({ a: 2 })
  await journal.close()
  t.same((await replayAll(file)).entries, [{ a: 1 }, { a: 2 }])
})

t.test('a torn last line is dropped with a warning and cut off the file', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  await fs.writeFile(file, '{"a":1}\n{"a":2}\n{"a":')
  const warnings: string[] = []
  const { entries, size } = await replayAll(file, true, warnings)
  t.same(entries, [{ a: 1 }, { a: 2 }])
  t.equal(size, 16)
  t.equal(await fs.readFile(file, 'utf8'), '{"a":1}\n{"a":2}\n')
  t.equal(warnings.length, 1)
  t.match(warnings[0], `journal ${file}: dropped an unfinished last line 3`)
})

t.test('a bad last line that does end in a newline is also a torn write', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  await fs.writeFile(file, '{"a":1}\n\0\0\0\n')
  const { entries } = await replayAll(file)
  t.same(entries, [{ a: 1 }])
  t.equal(await fs.readFile(file, 'utf8'), '{"a":1}\n')
})

t.test('a bad line in the middle is a StateFileError naming the file and the line', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  await fs.writeFile(file, '{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n')
  const error = await replayAll(file).catch((e: unknown) => e)
  t.type(error, StateFileError)
  t.equal((error as StateFileError).file, file)
  t.match((error as Error).message, `journal ${file} line 3 is not valid JSON`)
  t.equal(await fs.readFile(file, 'utf8'), '{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n', 'the file is left as it was')
})

t.test('a torn line is an error where later segments hold changes', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  await fs.writeFile(file, '{"a":1}\n{"a":')
  const error = await replayAll(file, false).catch((e: unknown) => e)
  t.type(error, StateFileError)
  t.match((error as Error).message, /line 2 has no line end, but later journal files exist/)
})

t.test('a missing journal replays as empty', async (t) => {
  const dir = await tempDir(t)
  t.same(await replayAll(path.join(dir, 'nothing')), { entries: [], size: 0 })
})

t.test('a failed write rejects that append and every later one with StoreWriteError', async (t) => {
  const dir = await tempDir(t)
  // A folder where the journal file should be: opening it for writing fails.
  const file = path.join(dir, 'j.journal.1')
  await fs.mkdir(file)
  const journal = new Journal({ file })
  const first = await journal.append({ a: 1 }).catch((e: unknown) => e)
  t.type(first, StoreWriteError)
  t.equal((first as StoreWriteError).code, 'STORE_WRITE_FAILED')
  t.match((first as Error).message, `could not write ${file}`)
  t.equal(await journal.append({ a: 2 }).catch((e: unknown) => e), first)
  await journal.close()
})

t.test('a segment writes nothing until the one before it is on disk', async (t) => {
  const dir = await tempDir(t)
  const first = new Journal({ file: path.join(dir, 'j.journal.1') })
  const firstDone = first.append({ n: 1 })
  const second = new Journal({ file: path.join(dir, 'j.journal.2'), previous: first })
  const order: number[] = []
  await Promise.all([firstDone.then(() => order.push(1)), second.append({ n: 2 }).then(() => order.push(2))])
  t.same(order, [1, 2])
  await second.close()
  await t.rejects(first.append({ n: 3 }), /is closed/)
})

t.test('appends in later turns, while earlier syncs are in flight, are acknowledged in append order', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'j.journal.1')
  const journal = new Journal({ file })
  const acknowledged: number[] = []
  const pending: Promise<void>[] = []
  for (let i = 0; i < 40; i++) {
    pending.push(journal.append({ i }).then(() => void acknowledged.push(i)))
    // A new turn of the event loop: the next append goes into a new batch.
    if (i % 4 === 3) await new Promise((resolve) => setImmediate(resolve))
  }
  await Promise.all(pending)
  t.same(acknowledged, Array.from({ length: 40 }, (_, i) => i))
  t.ok(journal.syncs >= 2, `${journal.syncs} syncs`)
  await journal.close()
  t.same((await replayAll(file)).entries, Array.from({ length: 40 }, (_, i) => ({ i })))
})
