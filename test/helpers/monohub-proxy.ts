/**
 * Starts the BUILT `monohub proxy` as a child process for a test (run
 * `npm run build` first): free ports on 127.0.0.1, a temporary data dir, a
 * random token; resolves once the proxy and its API answer; killed and
 * cleaned up in t.teardown. Also `runMonohub` for commands that just exit.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

/** The part of a tap test the helper uses. */
export interface Teardown {
  teardown(fn: () => unknown): void
}

export const binPath = fileURLToPath(new URL('../../bin/monohub', import.meta.url))
const builtMain = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

function assertBuilt(): void {
  if (!existsSync(builtMain)) throw new Error('monohub is not built: run `npm run build` before these tests')
}

/** A port that was free a moment ago (listen on 0, close). Callers retry on EADDRINUSE. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** The environment of the test process minus anything that would configure monohub behind the test's back. */
function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('MONOHUB_') && !key.startsWith('CONFIGPROXY_') && key !== 'NODE_OPTIONS') env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  return env
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunResult extends Exit {
  stdout: string
  stderr: string
}

/** Runs `monohub <args>` to completion (killed after `timeoutMs`). */
export async function runMonohub(args: readonly string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  assertBuilt()
  // A fresh empty folder by default: a command that starts a hub by mistake
  // must not leave a monohub-data folder in a shared place.
  const cwd = options.cwd ?? (await mkdtemp(join(tmpdir(), 'monohub-run-')))
  const child = spawn(process.execPath, [binPath, ...args], { env: cleanEnv(options.env ?? {}), cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000)
  const exit = await exitOf(child)
  clearTimeout(timer)
  if (options.cwd === undefined) await rm(cwd, { recursive: true, force: true })
  return { ...exit, stdout, stderr }
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/** Any HTTP answer from `url` (self-signed certificates accepted: this only checks that it is up). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get
    const req = get(url, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume()
      resolve(true)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => req.destroy())
  })
}

export interface StartOptions {
  /** Extra arguments after the helper's --ip/--port/--api-ip/--api-port/--data-dir. */
  args?: readonly string[]
  /** Added to (or, when undefined, removed from) the child's environment. */
  env?: Record<string, string | undefined>
  /** Reuse a data dir (restart tests); by default a fresh temporary one, removed at teardown. */
  dataDir?: string
  /** CONFIGPROXY_AUTH_TOKEN; null for none (with --no-auth). Default: random. */
  token?: string | null
  /** false: do not pass --ip/--port/--api-ip/--api-port/--data-dir (the test sets them by env or config file). */
  listenFlags?: boolean
  port?: number
  apiPort?: number
  /** Public listener serves https (for the readiness check and the returned URL). */
  https?: boolean
  /** API listener serves https. */
  apiHttps?: boolean
  cwd?: string
  readyTimeoutMs?: number
}

export interface MonohubProxy {
  url: string
  apiUrl: string
  port: number
  apiPort: number
  token: string | undefined
  dataDir: string
  child: ChildProcess
  /** Milliseconds from spawn to both listeners answering. */
  startMs: number
  stdout(): string
  stderr(): string
  /** Sends `signal` (default SIGTERM) and resolves with the exit. */
  kill(signal?: NodeJS.Signals): Promise<Exit>
  exited: Promise<Exit>
  /** fetch on the route API with the token. */
  api(path: string, init?: RequestInit): Promise<Response>
}

export class ProxyStartError extends Error {
  readonly exit: Exit
  readonly stderr: string
  readonly stdout: string

  constructor(message: string, exit: Exit, stdout: string, stderr: string) {
    super(`${message}\n--- stderr ---\n${stderr}\n--- stdout ---\n${stdout}`)
    this.exit = exit
    this.stdout = stdout
    this.stderr = stderr
  }
}

export async function startMonohubProxy(t: Teardown, options: StartOptions = {}): Promise<MonohubProxy> {
  assertBuilt()
  let dataDir = options.dataDir
  if (dataDir === undefined) {
    const created = await mkdtemp(join(tmpdir(), 'monohub-proxy-'))
    t.teardown(() => rm(created, { recursive: true, force: true }))
    dataDir = created
  }
  // Ports chosen by the helper may be taken between choosing and binding: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(t, options, dataDir)
    } catch (err) {
      const portsChosenHere = options.port === undefined && options.apiPort === undefined
      if (!(err instanceof ProxyStartError) || !err.stderr.includes('already in use') || !portsChosenHere || attempt >= 3) throw err
    }
  }
}

async function startOnce(t: Teardown, options: StartOptions, dataDir: string): Promise<MonohubProxy> {
  const port = options.port ?? (await freePort())
  const apiPort = options.apiPort ?? (await freePort())
  const token = options.token === null ? undefined : (options.token ?? randomBytes(16).toString('hex'))
  const listenArgs = options.listenFlags === false ? [] : ['--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--data-dir', dataDir]
  const args = [binPath, 'proxy', ...listenArgs, ...(options.args ?? [])]
  const started = performance.now()
  const child = spawn(process.execPath, args, {
    env: cleanEnv({ CONFIGPROXY_AUTH_TOKEN: token, ...options.env }),
    cwd: options.cwd ?? dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = exitOf(child)
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })

  const url = `${options.https === true ? 'https' : 'http'}://127.0.0.1:${port}`
  const apiUrl = `${options.apiHttps === true ? 'https' : 'http'}://127.0.0.1:${apiPort}`
  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000)
  let exit: Exit | undefined
  void exited.then((e) => (exit = e))
  for (;;) {
    if (exit !== undefined) throw new ProxyStartError(`monohub proxy exited during start (code ${exit.code}, signal ${exit.signal})`, exit, stdout, stderr)
    if ((await answers(`${url}/_chp_healthz`)) && (await answers(`${apiUrl}/api/routes`))) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new ProxyStartError('monohub proxy did not answer in time', await exited, stdout, stderr)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  const startMs = performance.now() - started

  return {
    url,
    apiUrl,
    port,
    apiPort,
    token,
    dataDir,
    child,
    startMs,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
    api(path, init = {}) {
      const headers = new Headers(init.headers)
      if (token !== undefined) headers.set('authorization', `token ${token}`)
      return fetch(`${apiUrl}${path}`, { ...init, headers })
    },
  }
}
