/**
 * Telling whether a pid is still the process we started, and stopping a
 * process group politely. A pid can be reused after its process exits, so a
 * server's state records the process start time (from /proc/<pid>/stat on
 * Linux) and a live pid with another start time counts as gone.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'

interface ProcStat {
  state: string
  /** Clock ticks after boot (field 22 of /proc/<pid>/stat). */
  startTime: string
}

function readProcStat(pid: number): ProcStat | null | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // No /proc at all (not Linux): undefined = unknown; no such pid: null.
    return code === 'ENOENT' && procAvailable() ? null : undefined
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0] ?? '', startTime: fields[19] ?? '' }
}

let procChecked: boolean | undefined
function procAvailable(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync('/proc/self/stat')
      procChecked = true
    } catch {
      procChecked = false
    }
  }
  return procChecked
}

/** The start time of `pid` as /proc shows it, or null when unknown (no such process, or no /proc). */
export function processStartTime(pid: number): string | null {
  return readProcStat(pid)?.startTime ?? null
}

/** kill(pid, 0): true when the pid exists (EPERM: exists, owned by someone else). */
function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** True when `pid` runs and, if `startTime` is known, is the process that started then (zombies count as gone). */
export function isSameProcessAlive(pid: number, startTime: string | null): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 1) return false
  const stat = readProcStat(pid)
  if (stat === undefined) return pidExists(pid)
  if (stat === null || stat.state === 'Z' || stat.state === 'X') return false
  return startTime === null || stat.startTime === startTime
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (let wait = 10; Date.now() < deadline; wait = Math.min(wait * 2, 100)) {
    if (done()) return true
    await sleep(wait)
  }
  return done()
}

/**
 * SIGTERM to the process group `pgid`, SIGKILL after `graceMs` if its leader
 * still runs. Only when the leader is still the process started at
 * `startTime` — otherwise the pid (and group id) may belong to someone else.
 */
export async function stopProcessGroup(pgid: number, startTime: string | null, graceMs: number): Promise<void> {
  if (!isSameProcessAlive(pgid, startTime)) {
    // The leader is gone; children it left in the group may still run — but
    // only if the group id has not been reused, which we cannot tell without the leader.
    if (startTime !== null && readProcStat(pgid) === null && groupExists(pgid)) signalGroup(pgid, 'SIGKILL')
    return
  }
  signalGroup(pgid, 'SIGTERM')
  const leaderGone = () => !isSameProcessAlive(pgid, startTime)
  if (await waitUntil(() => leaderGone() && !groupExists(pgid), graceMs)) return
  signalGroup(pgid, 'SIGKILL')
  await waitUntil(() => leaderGone() && !groupExists(pgid), 2000)
}
