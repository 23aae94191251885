/**
 * Owns the one-writer-per-store rule: `<name>.lock` holds the pid of the
 * process that has the store open (first line) and, on Linux, that process's
 * start time (second line, so a pid reused after a restart is not mistaken for
 * the holder). Created with O_EXCL; a lock left by a dead process (kill -9,
 * crash) is taken over; a live holder is a StoreLockedError.
 */
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { StoreLockedError } from './errors.ts'

export interface StoreLock {
  readonly file: string
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>
}

/** A lock file this young with no pid yet may be mid-creation by another process. */
const FRESH_EMPTY_LOCK_MS = 2000

/** Lock files held by this process: a lock naming our pid but not listed here is from an earlier life of the pid. */
const heldHere = new Set<string>()

/** State letter and start time (clock ticks after boot) from /proc/<pid>/stat; undefined off Linux or for no such process. */
function procStat(pid: number): { state: string; startTime: string } | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // "pid (comm) state ppid … starttime …": comm may hold spaces, so count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0] ?? '', startTime: fields[19] ?? '' }
}

/** Whether the process that wrote a lock still runs (not dead, not a zombie, not a newer process with its pid). */
export function isProcessAlive(pid: number, startTime?: string): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const stat = procStat(pid)
  if (stat === undefined) return true
  if (stat.state === 'Z' || stat.state === 'X') return false
  return startTime === undefined || startTime === '' || stat.startTime === startTime
}

export async function acquireLock(dir: string, name: string): Promise<StoreLock> {
  // The real path, so that two spellings of one folder in this process still meet in `heldHere`.
  const file = path.join(await fs.realpath(dir), `${name}.lock`)
  const mine = `${process.pid}\n${procStat(process.pid)?.startTime ?? ''}\n`
  // A few rounds: each failed create either finds a live holder (error) or removes a stale lock.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await fs.writeFile(file, mine, { flag: 'wx', mode: 0o600 })
      heldHere.add(file)
      return {
        file,
        async release() {
          if (!heldHere.delete(file)) return
          const content = await fs.readFile(file, 'utf8').catch(() => undefined)
          if (content === mine) await fs.rm(file, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    await removeIfStale(dir, file)
  }
  throw new Error(`could not take the lock ${file}: it keeps changing — is another monohub starting on the same --data-dir?`)
}

/** Throws StoreLockedError when a live process holds `file`; otherwise removes the stale lock. */
async function removeIfStale(dir: string, file: string): Promise<void> {
  let content: string
  let mtimeMs: number
  try {
    content = await fs.readFile(file, 'utf8')
    mtimeMs = (await fs.stat(file)).mtimeMs
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return // released meanwhile: try again
    throw error
  }
  const [pidLine = '', startTime] = content.split('\n')
  const pid = Number.parseInt(pidLine, 10)
  if (Number.isInteger(pid) && pid > 0) {
    const live = pid === process.pid ? heldHere.has(file) : isProcessAlive(pid, startTime)
    if (live) throw new StoreLockedError(dir, pid)
  } else if (Date.now() - mtimeMs < FRESH_EMPTY_LOCK_MS) {
    throw new StoreLockedError(dir, undefined)
  }
  // Re-check just before removing, so a lock another process took over meanwhile is not removed.
  const again = await fs.readFile(file, 'utf8').catch(() => undefined)
  if (again === content) await fs.rm(file, { force: true })
}
