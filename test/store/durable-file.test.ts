import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Low } from 'lowdb'
import { DurableJsonFile, writeFileDurably } from '../../src/store/durable-file.ts'
import { StateFileError } from '../../src/store/errors.ts'
import { tempDir } from './temp-dir.ts'

t.test('a written file reads back through lowdb, with mode 0600 and no temp file left', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'state.json')
  const db = new Low(new DurableJsonFile<{ users: string[] }>(file), { users: [] })
  db.data.users.push('alice')
  await db.write()
  const again = new Low(new DurableJsonFile<{ users: string[] }>(file), { users: [] })
  await again.read()
  t.same(again.data, { users: ['alice'] })
  t.equal((await fs.stat(file)).mode & 0o777, 0o600)
  t.same(await fs.readdir(dir), ['state.json'])
})

t.test('a missing file reads as no data, so lowdb keeps its initial state', async (t) => {
  const dir = await tempDir(t)
  const db = new Low(new DurableJsonFile<{ n: number }>(path.join(dir, 'none.json')), { n: 7 })
  await db.read()
  t.same(db.data, { n: 7 })
})

t.test('write() captures the data as it was at the call, even if it changes while writing', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'state.json')
  const data = { n: 1 }
  const written = new DurableJsonFile<{ n: number }>(file).write(data)
  data.n = 2
  await written
  t.same(JSON.parse(await fs.readFile(file, 'utf8')), { n: 1 })
})

t.test('a truncated file is a StateFileError naming the file and the byte, never an empty state', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'state.json')
  await fs.writeFile(file, '{"users": ["alice", "bo')
  const error = await new DurableJsonFile(file).read().catch((e: unknown) => e)
  t.type(error, StateFileError)
  t.equal((error as StateFileError).code, 'STATE_FILE_CORRUPT')
  t.equal((error as StateFileError).file, file)
  t.match((error as Error).message, `state file ${file} is not valid JSON at byte 23 (truncated write?)`)
  t.match((error as Error).message, /--data-dir/)
})

t.test('the byte position counts bytes, not characters', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'state.json')
  await fs.writeFile(file, '{"name": "é", x}')
  const error = await new DurableJsonFile(file).read().catch((e: unknown) => e)
  t.match((error as Error).message, /at byte 15 /)
})

t.test('writeFileDurably replaces the file atomically', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'a.json')
  await writeFileDurably(file, '1')
  await writeFileDurably(file, '2')
  t.equal(await fs.readFile(file, 'utf8'), '2')
  t.same(await fs.readdir(dir), ['a.json'])
})
