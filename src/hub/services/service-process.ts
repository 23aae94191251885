/**
 * One service process the hub runs (a service with a `command`): started in
 * its own process group with stdout/stderr appended to its log file,
 * restarted when it dies — after 1 s, then 2, 4 … up to a minute while it
 * keeps dying young (a run that lasted a minute resets the delay) — and
 * stopped with the hub: SIGTERM to the group, SIGKILL after a grace period.
 *
 * Unlike users' servers, services do not outlive the hub: JupyterHub stops
 * them too, and each start gives them a fresh API token.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import type { Logger } from 'pino'

export interface ServiceProcessOptions {
  name: string
  argv: readonly string[]
  env: Record<string, string>
  cwd: string
  logFile: string
  log: Logger
  /** First restart delay; doubles per quick death. */
  restartBaseMs?: number
  /** Longest restart delay. */
  restartCapMs?: number
  /** A run this long counts as healthy: the next death restarts after restartBaseMs again. */
  healthyRunMs?: number
  /** SIGTERM → SIGKILL. */
  stopGraceMs?: number
}

export const RESTART_BASE_MS = 1_000
export const RESTART_CAP_MS = 60_000

/** Restart delay after `failures` deaths in a row (1 → base). */
export function restartDelay(failures: number, baseMs = RESTART_BASE_MS, capMs = RESTART_CAP_MS): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)))
}

export class ServiceProcess {
  readonly #o: Required<Omit<ServiceProcessOptions, 'restartBaseMs' | 'restartCapMs' | 'healthyRunMs' | 'stopGraceMs'>> & { baseMs: number; capMs: number; healthyMs: number; graceMs: number }
  #child: ChildProcess | undefined
  #startedAt = 0
  #failures = 0
  #restartTimer: NodeJS.Timeout | undefined
  #stopping = false
  #exited: Promise<void> = Promise.resolve()
  /** How many times it was started (1 after the first start). */
  starts = 0
  /** Why the last run ended ('exited with code 1', 'killed by SIGKILL', 'could not start: …'). */
  lastExit: string | undefined

  constructor(options: ServiceProcessOptions) {
    this.#o = {
      name: options.name, argv: options.argv, env: options.env, cwd: options.cwd, logFile: options.logFile, log: options.log,
      baseMs: options.restartBaseMs ?? RESTART_BASE_MS,
      capMs: options.restartCapMs ?? RESTART_CAP_MS,
      healthyMs: options.healthyRunMs ?? 60_000,
      graceMs: options.stopGraceMs ?? 5_000,
    }
  }

  /** The running process's pid, or 0 (JupyterHub's service model shows 0 too). */
  get pid(): number {
    return this.#child?.pid ?? 0
  }

  start(): void {
    if (this.#stopping || this.#child !== undefined) return
    const { name, argv, env, cwd, logFile, log } = this.#o
    let fd: number
    try {
      fd = fs.openSync(logFile, 'a', 0o600)
      fs.writeSync(fd, `--- ${new Date().toISOString()} monohub starts service '${name}': ${argv.join(' ')}\n`)
    } catch (err) {
      this.#died(`could not open its log ${logFile}: ${(err as Error).message}`)
      return
    }
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', fd, fd] })
    fs.closeSync(fd)
    this.#child = child
    this.#startedAt = Date.now()
    this.starts++
    let settle: () => void = () => {}
    this.#exited = new Promise<void>((resolve) => { settle = resolve })
    child.once('error', (err: NodeJS.ErrnoException) => {
      // ENOENT/EACCES: no 'exit' follows.
      if (this.#child !== child) return
      this.#child = undefined
      settle()
      const why = err.code === 'ENOENT' ? `'${argv[0]}' was not found (or the working directory ${cwd} is missing)` : err.message
      this.#died(`could not start: ${why}`)
    })
    child.once('spawn', () => log.info({ service: name, pid: child.pid, logFile }, `service '${name}' started (pid ${child.pid})`))
    child.once('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined
      settle()
      this.#died(signal === null ? `exited with code ${code}` : `was killed by ${signal}`)
    })
  }

  #died(why: string): void {
    this.lastExit = why
    if (this.#stopping) return
    const { name, log, logFile } = this.#o
    this.#failures = this.#startedAt > 0 && Date.now() - this.#startedAt >= this.#o.healthyMs ? 1 : this.#failures + 1
    const delay = restartDelay(this.#failures, this.#o.baseMs, this.#o.capMs)
    log.warn({ service: name, why, restartInMs: delay, logFile }, `service '${name}' ${why} — restarting in ${Math.round(delay / 100) / 10} s (its output is in ${logFile})`)
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined
      this.start()
    }, delay)
    this.#restartTimer.unref()
  }

  /** Stops it for good: SIGTERM to its process group, SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.#stopping = true
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer)
    this.#restartTimer = undefined
    const child = this.#child
    if (child?.pid === undefined) return
    const exited = this.#exited
    signalGroup(child.pid, 'SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), this.#o.graceMs) })
    const outcome = await Promise.race([exited.then(() => 'exited' as const), late])
    clearTimeout(timer)
    if (outcome === 'late') {
      this.#o.log.warn({ service: this.#o.name, pid: child.pid }, `service '${this.#o.name}' did not stop within ${this.#o.graceMs} ms of SIGTERM — killing it`)
      signalGroup(child.pid, 'SIGKILL')
      await exited
    }
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {
      // already gone
    }
  }
}
