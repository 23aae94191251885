/**
 * The `script` spawner: start, poll and stop are executables an admin
 * provides (e.g. to run each user's server on a cloud VM, as cloudJHub does
 * with EC2). Each gets the request as JSON on stdin (and the basics in env)
 * and prints JSON on stdout:
 *
 *   start  ← {"action":"start","user","server_name","base_url","options","env","work_dir","log_file"}
 *          → {"url":"http://10.0.0.5:8888","state":{…},"token"?:"…"}   (last JSON value printed)
 *            Lines like {"progress":40,"message":"instance booting"} before it are progress.
 *   poll   ← {"action":"poll","state":{…}}   → {"status":"running"|"stopped"}
 *   stop   ← {"action":"stop","state":{…}}   → exit 0 once stopped (output ignored)
 *
 * A non-zero exit, a timeout or output that is not the JSON expected is an
 * error naming the script, with the end of its stderr.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Json, OptionsFormSpec, Progress, SpawnContext, SpawnResult, Spawner } from '../spawner.ts'
import { SpawnError } from '../errors.ts'

export interface ScriptSpawnerOptions {
  /** argv of each script (program first). */
  start: readonly string[]
  poll: readonly string[]
  stop: readonly string[]
  /** Per-call limits (defaults: start — the lifecycle's start timeout; poll 30 s; stop 120 s). */
  pollTimeoutMs?: number
  stopTimeoutMs?: number
  /** Extra environment for the scripts (e.g. AWS_PROFILE). */
  env?: Record<string, string>
  /** A form for user options (e.g. instance type), passed to start as "options". */
  optionsForm?: OptionsFormSpec
}

interface ScriptRun {
  stdout: string
}

const STDERR_TAIL_BYTES = 2000

function tail(text: string): string {
  const t = text.trim()
  return t.length > STDERR_TAIL_BYTES ? `…${t.slice(-STDERR_TAIL_BYTES)}` : t
}

function runScript(
  action: string,
  argv: readonly string[],
  input: Json,
  env: Record<string, string>,
  options: { timeoutMs?: number; signal?: AbortSignal; logFile?: string; onLine?: (line: string) => void },
): Promise<ScriptRun> {
  const [file, ...args] = argv
  if (file === undefined) return Promise.reject(new SpawnError('SCRIPT_CONFIG', 500, `the script spawner has no ${action} script configured`))
  const name = `${action} script ${file}`
  return new Promise<ScriptRun>((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    let stdout = ''
    let stderr = ''
    let pending = ''
    let stopReason: string | undefined
    const log = options.logFile === undefined ? undefined : fs.createWriteStream(options.logFile, { flags: 'a', mode: 0o600 })
    const kill = (why: string): void => {
      stopReason ??= why
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => kill(`did not finish within ${Math.round(options.timeoutMs! / 1000)} s`), options.timeoutMs)
    const onAbort = (): void => kill('was stopped because the start timed out or was cancelled')
    options.signal?.addEventListener('abort', onAbort, { once: true })
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      if (options.onLine === undefined) return
      pending += chunk
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        options.onLine(pending.slice(0, nl))
        pending = pending.slice(nl + 1)
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4 * STDERR_TAIL_BYTES)
      log?.write(chunk)
    })
    child.stdin.on('error', () => {}) // a script that does not read stdin is fine
    child.stdin.end(JSON.stringify(input))
    const done = (error: SpawnError | undefined): void => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      log?.end()
      if (error === undefined) resolve({ stdout })
      else reject(error)
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      done(new SpawnError('SCRIPT_FAILED', 500, `${name} could not be run: ${error.code === 'ENOENT' ? 'file not found' : error.message} — check the script spawner's ${action} setting`))
    })
    child.once('close', (code, signal) => {
      if (stopReason !== undefined) return done(new SpawnError('SCRIPT_TIMEOUT', 500, `${name} ${stopReason}${stderr.trim() === '' ? '' : `; its stderr ended with: ${tail(stderr)}`}`))
      if (code === 0) return done(undefined)
      const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`
      done(new SpawnError('SCRIPT_FAILED', 500, `${name} ${how}${stderr.trim() === '' ? ' and wrote nothing to stderr' : `; its stderr ended with: ${tail(stderr)}`}`))
    })
  })
}

function isProgressLine(value: unknown): value is Progress {
  return typeof value === 'object' && value !== null && typeof (value as Progress).progress === 'number' && !('url' in value)
}

/** Parses stdout without its progress lines; throws SCRIPT_OUTPUT naming what was wrong. */
function parseResult(name: string, stdout: string): Record<string, Json> {
  const lines = stdout.split('\n').filter((line) => {
    try {
      return !isProgressLine(JSON.parse(line))
    } catch {
      return true
    }
  })
  const text = lines.join('\n').trim()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new SpawnError('SCRIPT_OUTPUT', 500, `${name} must print one JSON object on stdout, but printed ${text === '' ? 'nothing' : JSON.stringify(tail(text))}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SpawnError('SCRIPT_OUTPUT', 500, `${name} must print a JSON object, printed ${JSON.stringify(tail(text))}`)
  return value as Record<string, Json>
}

export function scriptSpawner(options: ScriptSpawnerOptions): Spawner {
  const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...options.env })

  return {
    name: 'script',

    async start(ctx: SpawnContext, progress: (p: Progress) => void): Promise<SpawnResult> {
      const input: Json = { action: 'start', user: ctx.user, server_name: ctx.serverName, base_url: ctx.baseUrl, options: { ...ctx.options }, env: { ...ctx.env }, work_dir: ctx.workDir, log_file: ctx.logFile }
      const env = { ...baseEnv(), ...ctx.env, MONOHUB_ACTION: 'start', MONOHUB_USER: ctx.user, MONOHUB_SERVER_NAME: ctx.serverName, MONOHUB_BASE_URL: ctx.baseUrl }
      await fs.promises.mkdir(path.dirname(ctx.logFile), { recursive: true, mode: 0o700 })
      progress({ progress: 10, message: 'Running the start script' })
      const name = `start script ${options.start[0] ?? ''}`
      const run = await runScript('start', options.start, input, env, {
        signal: ctx.signal,
        logFile: ctx.logFile,
        onLine: (line) => {
          try {
            const value: unknown = JSON.parse(line)
            if (isProgressLine(value)) progress({ progress: value.progress, message: String(value.message ?? '') })
          } catch {}
        },
      })
      const result = parseResult(name, run.stdout)
      const url = result.url
      if (typeof url !== 'string' || !/^https?:\/\/[^/]+\/?$/.test(url)) {
        throw new SpawnError('SCRIPT_OUTPUT', 500, `${name} must print "url" as the server's origin like "http://10.0.0.5:8888" (no path), got ${JSON.stringify(url) ?? 'nothing'}`)
      }
      if (result.token !== undefined && typeof result.token !== 'string') throw new SpawnError('SCRIPT_OUTPUT', 500, `${name} printed a "token" that is not a string`)
      return { url: url.replace(/\/$/, ''), state: result.state ?? null, ...(typeof result.token === 'string' ? { token: result.token } : {}) }
    },

    async poll(state: Json) {
      const run = await runScript('poll', options.poll, { action: 'poll', state }, { ...baseEnv(), MONOHUB_ACTION: 'poll' }, { timeoutMs: options.pollTimeoutMs ?? 30_000 })
      const status = parseResult(`poll script ${options.poll[0] ?? ''}`, run.stdout).status
      if (status !== 'running' && status !== 'stopped') {
        throw new SpawnError('SCRIPT_OUTPUT', 500, `poll script ${options.poll[0] ?? ''} must print {"status": "running"} or {"status": "stopped"}, got ${JSON.stringify(status) ?? 'no status'}`)
      }
      return status
    },

    async stop(state: Json) {
      await runScript('stop', options.stop, { action: 'stop', state }, { ...baseEnv(), MONOHUB_ACTION: 'stop' }, { timeoutMs: options.stopTimeoutMs ?? 120_000 })
    },

    ...(options.optionsForm === undefined ? {} : { optionsForm: () => options.optionsForm! }),
  }
}
