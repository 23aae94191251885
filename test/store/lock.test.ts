import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { acquireLock } from '../../src/store/lock.ts'
import { StoreLockedError } from '../../src/store/errors.ts'
import { tempDir } from './temp-dir.ts'

t.test('the lock file holds our pid and is removed on release', async (t) => {
  const dir = await tempDir(t)
  const lock = await acquireLock(dir, 'routes')
  t.equal(lock.file, path.join(await fs.realpath(dir), 'routes.lock'))
  t.equal(Number.parseInt(await fs.readFile(lock.file, 'utf8'), 10), process.pid)
  await lock.release()
  await t.rejects(fs.stat(lock.file), { code: 'ENOENT' })
})

t.test('a second opener in the same process is refused until release', async (t) => {
  const dir = await tempDir(t)
  const lock = await acquireLock(dir, 'routes')
  await t.rejects(acquireLock(dir, 'routes'), StoreLockedError)
  await lock.release()
  const again = await acquireLock(dir, 'routes')
  await again.release()
})

t.test('a lock held by a live process is a StoreLockedError naming the dir and the pid', async (t) => {
  const dir = await tempDir(t)
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  await once(child, 'spawn')
  await fs.writeFile(path.join(dir, 'routes.lock'), `${child.pid}\n`)
  const error = await acquireLock(dir, 'routes').catch((e: unknown) => e)
  t.type(error, StoreLockedError)
  t.equal((error as StoreLockedError).code, 'STORE_LOCKED')
  t.equal((error as Error).message, `data dir ${dir} is in use by process ${child.pid} — stop it or use another --data-dir`)
  t.equal(await fs.readFile(path.join(dir, 'routes.lock'), 'utf8'), `${child.pid}\n`, 'the holder keeps its lock')
})

t.test('a lock left by a dead process is taken over', async (t) => {
  const dir = await tempDir(t)
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' })
  await once(child, 'exit')
  await fs.writeFile(path.join(dir, 'routes.lock'), `${child.pid}\n`)
  const lock = await acquireLock(dir, 'routes')
  t.equal(Number.parseInt(await fs.readFile(lock.file, 'utf8'), 10), process.pid)
  await lock.release()
})

t.test('a lock naming our own pid from an earlier life of the pid (container restart) is taken over', async (t) => {
  const dir = await tempDir(t)
  await fs.writeFile(path.join(dir, 'routes.lock'), `${process.pid}\n`)
  const lock = await acquireLock(dir, 'routes')
  await lock.release()
})

t.test('a live pid that started at another time is not the holder', { skip: process.platform !== 'linux' && 'needs /proc' }, async (t) => {
  const dir = await tempDir(t)
  await fs.writeFile(path.join(dir, 'routes.lock'), `${process.ppid}\n1\n`)
  const lock = await acquireLock(dir, 'routes')
  await lock.release()
})

t.test('an empty lock file is taken over once old, refused while fresh', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'routes.lock')
  await fs.writeFile(file, '')
  await t.rejects(acquireLock(dir, 'routes'), { code: 'STORE_LOCKED', message: /in use by another process \(starting up\)/ })
  const old = new Date(Date.now() - 60_000)
  await fs.utimes(file, old, old)
  const lock = await acquireLock(dir, 'routes')
  await lock.release()
})

t.test('two spellings of one folder are one lock', async (t) => {
  const dir = await tempDir(t)
  const lock = await acquireLock(dir, 'routes')
  await fs.symlink(dir, path.join(dir, 'alias'))
  await t.rejects(acquireLock(path.join(dir, 'alias'), 'routes'), StoreLockedError)
  await lock.release()
})
