/**
 * What the kernel says about a process: resident memory, CPU time and the
 * open-files limit, read from /proc (Linux only; elsewhere the numbers are
 * undefined).
 */
import { readFile, readdir } from 'node:fs/promises'

/** VmRSS of one process in bytes, or undefined when it cannot be read. */
export async function rssOf(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
    return match === null ? undefined : Number(match[1]) * 1024
  } catch {
    return undefined
  }
}

/**
 * RSS of a process and all its descendants, in bytes: a launcher script that
 * starts the real server as a child must not hide the server's memory.
 */
export async function treeRssOf(pid: number): Promise<number | undefined> {
  const own = await rssOf(pid)
  if (own === undefined) return undefined
  let total = own
  for (const child of await childrenOf(pid)) total += (await treeRssOf(child)) ?? 0
  return total
}

async function childrenOf(pid: number): Promise<number[]> {
  let entries: string[]
  try {
    entries = await readdir('/proc')
  } catch {
    return []
  }
  const children: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8')
      // The command name is in parentheses and may contain spaces; ppid follows the state.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === pid) children.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return children
}

/** Soft "Max open files" of a process ('self' for this one). */
export async function fdLimitOf(pid: number | 'self'): Promise<number | undefined> {
  try {
    const limits = await readFile(`/proc/${pid}/limits`, 'utf8')
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits)
    if (match === null) return undefined
    return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1])
  } catch {
    return undefined
  }
}

export function formatMiB(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1_048_576).toFixed(1)} MiB`
}

/** CPU seconds (user + system) of a process, and of its children that have exited and been reaped. */
export interface CpuSeconds {
  self: number
  children: number
}

/**
 * Reads /proc/<pid>/stat: utime, stime, cutime, cstime (fields 14–17, in clock
 * ticks of 1/100 s on Linux). Children count once reaped — Node reaps its
 * children as they exit, so after stopping them their CPU is in `children`.
 */
export async function cpuSecondsOf(pid: number | 'self'): Promise<CpuSeconds | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces: count from after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const tick = (i: number): number => Number(fields[i - 3]) / 100
    return { self: tick(14) + tick(15), children: tick(16) + tick(17) }
  } catch {
    return undefined
  }
}
