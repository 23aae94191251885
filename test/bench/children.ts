/**
 * Child processes of the benchmark: every one is tracked here, so that all of
 * them die with the runner — on success, on an error and on Ctrl-C.
 *
 * Each child starts through `bash -c 'ulimit -n …; exec …'` so it gets as many
 * file descriptors as the machine allows (10,000 idle WebSockets need about
 * 20,000 in a proxy); `exec` keeps the pid the program's own, so RSS and
 * kill -9 apply to the program, not to a shell.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { removeTempDirs } from './temp-dirs.ts'

export interface Child {
  name: string
  pid: number
  process: ChildProcess
  /** The last few KB of stdout+stderr, for error messages. */
  output(): string
  /** Resolves when the process has exited (immediately if it already has). */
  exited: Promise<void>
}

const live = new Set<Child>()
const OUTPUT_KEEP = 8_192

/** The fd limit we ask for; bash falls back to the hard limit when this is too high. */
const WANTED_FD_LIMIT = 65_536

export interface StartOptions {
  env?: Record<string, string>
  cwd?: string
}

/** Starts `command args…` with a raised fd limit, tracked for clean-up. */
export function startChild(name: string, command: string, args: string[], options: StartOptions = {}): Child {
  const script = `ulimit -n ${WANTED_FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`
  const proc = spawn('bash', ['-c', script, 'bash', command, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let tail = ''
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_KEEP)
  }
  proc.stdout!.on('data', keep)
  proc.stderr!.on('data', keep)
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve()
    else proc.once('exit', () => resolve())
  })
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command}): no pid — is bash installed?`)
  const child: Child = { name, pid: proc.pid, process: proc, output: () => tail, exited }
  live.add(child)
  void exited.then(() => live.delete(child))
  return child
}

/** Stops one child: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: Child, graceMs = 2_000): Promise<void> {
  if (!live.has(child)) return
  child.process.kill('SIGTERM')
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs)
  await child.exited
  clearTimeout(timer)
}

/** kill -9, as a crash would; resolves once the process is gone. */
export async function crashChild(child: Child): Promise<void> {
  child.process.kill('SIGKILL')
  await child.exited
}

/** Kills every child still running; synchronous so it works in an 'exit' handler. */
export function killAllChildren(): void {
  for (const child of live) {
    try {
      child.process.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
  live.clear()
}

/**
 * Makes sure no child outlives the runner and no temp dir is left behind. Ctrl-C and SIGTERM exit with the
 * conventional 130/143 after cleaning up.
 */
export function installCleanupHandlers(): void {
  process.once('exit', () => {
    killAllChildren()
    removeTempDirs()
  })
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping ${live.size} child process(es)\n`)
      process.exit(code) // the 'exit' handler kills the children and removes temp dirs
    })
  }
}
