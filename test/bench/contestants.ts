/**
 * Starting the things we compare: the backend itself (direct), monohub proxy,
 * configurable-http-proxy and nginx. monohub and CHP start through ONE
 * function with the same command line; only the program, the `proxy`
 * subcommand and `--data-dir` differ — so neither gets a flag the other lacks.
 */
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startChild, stopChild, type Child } from './children.ts'
import { renderNginxConfig } from './nginx-config.ts'
import { freePort } from './ports.ts'
import { ProxyApi } from './proxy-api.ts'
import { benchTempDir } from './temp-dirs.ts'
import { waitUntil } from './wait-until.ts'

export type ContestantName = 'direct' | 'monohub' | 'chp' | 'nginx' | 'pipe'

export const LABELS: Record<ContestantName, string> = {
  direct: 'direct',
  monohub: 'monohub',
  chp: 'CHP',
  nginx: 'nginx',
  pipe: 'Node TCP pipe',
}

/** Something that serves the backend's paths at `url` (http://127.0.0.1:port). */
export interface Contestant {
  name: ContestantName
  url: string
  /** The process whose memory counts (the backend itself for direct). */
  child: Child
}

/** monohub or CHP: a proxy with a route API. */
export interface RoutingProxy extends Contestant {
  name: 'monohub' | 'chp'
  api: ProxyApi
  port: number
  apiPort: number
  dataDir: string | undefined
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const MONOHUB_BIN = join(ROOT, 'bin', 'monohub')
const CHP_BIN = join(ROOT, 'node_modules', 'configurable-http-proxy', 'bin', 'configurable-http-proxy')
const NGINX_BIN = '/usr/sbin/nginx'
export const API_TOKEN = 'bench-token-' + process.pid

export function nginxAvailable(): boolean {
  return existsSync(NGINX_BIN)
}

/** Starts a bench script that prints {"port":N} on its first line; resolves with that port. */
async function startPortPrinter(name: string, script: string, args: string[]): Promise<{ child: Child; port: number }> {
  const child = startChild(name, process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args])
  const port = await new Promise<number>((resolve, reject) => {
    let line = ''
    const timer = setTimeout(() => reject(new Error(`${name} printed no port within 10 s: ${child.output()}`)), 10_000)
    child.process.stdout!.on('data', (chunk: Buffer) => {
      line += chunk.toString('utf8')
      const newline = line.indexOf('\n')
      if (newline === -1) return
      clearTimeout(timer)
      resolve((JSON.parse(line.slice(0, newline)) as { port: number }).port)
    })
    void child.exited.then(() => reject(new Error(`${name} exited at start: ${child.output()}`)))
  })
  return { child, port }
}

/** The backend process; resolves with its URL once it has printed its port. */
export async function startBackend(): Promise<Contestant> {
  const { child, port } = await startPortPrinter('backend', './backend.ts', [])
  return { name: 'direct', url: `http://127.0.0.1:${port}`, child }
}

/** A bare Node TCP pipe to the backend (tcp-pipe.ts): the reference for moving bytes through Node. */
export async function startTcpPipe(backendPort: number): Promise<Contestant> {
  const { child, port } = await startPortPrinter('tcp pipe', './tcp-pipe.ts', [String(backendPort)])
  return { name: 'pipe', url: `http://127.0.0.1:${port}`, child }
}

export interface RoutingProxyPlan {
  name: 'monohub' | 'chp'
  /** Reuse ports and data dir, as a restart after a crash does. */
  port?: number
  apiPort?: number
  dataDir?: string
}

/** The command line shared by CHP and monohub proxy. */
export function routingProxyCommand(name: 'monohub' | 'chp', port: number, apiPort: number, dataDir: string | undefined): { command: string; args: string[] } {
  const common = ['--ip', '127.0.0.1', '--port', String(port), '--api-ip', '127.0.0.1', '--api-port', String(apiPort), '--log-level', 'warn']
  if (name === 'chp') return { command: process.execPath, args: [CHP_BIN, ...common] }
  return monohubCommand(['proxy', ...common, '--data-dir', dataDir!])
}

/** `monohub args…` as a command line, run by this Node, so every contestant uses the same one. */
export function monohubCommand(args: string[]): { command: string; args: string[] } {
  const firstLine = existsSync(MONOHUB_BIN) ? readFileSync(MONOHUB_BIN, 'utf8').split('\n', 1)[0]! : ''
  return firstLine.includes('node') ? { command: process.execPath, args: [MONOHUB_BIN, ...args] } : { command: MONOHUB_BIN, args }
}

/** Spawns without waiting; `ready()` of the result waits for the API. */
export async function spawnRoutingProxy(plan: RoutingProxyPlan): Promise<RoutingProxy> {
  const port = plan.port ?? (await freePort())
  const apiPort = plan.apiPort ?? (await freePort())
  const dataDir = plan.name === 'monohub' ? (plan.dataDir ?? benchTempDir('data')) : undefined
  const { command, args } = routingProxyCommand(plan.name, port, apiPort, dataDir)
  const child = startChild(plan.name, command, args, { env: { CONFIGPROXY_AUTH_TOKEN: API_TOKEN } })
  const api = new ProxyApi(`http://127.0.0.1:${apiPort}`, API_TOKEN)
  return { name: plan.name, url: `http://127.0.0.1:${port}`, child, api, port, apiPort, dataDir }
}

/** Starts monohub or CHP and waits until its API answers (or throws with its output). */
export async function startRoutingProxy(plan: RoutingProxyPlan, timeoutMs = 20_000): Promise<RoutingProxy> {
  const proxy = await spawnRoutingProxy(plan)
  let exited = false
  void proxy.child.exited.then(() => (exited = true))
  try {
    await waitUntil(`${LABELS[plan.name]} API on ${proxy.api.url}`, async () => exited || proxy.api.isReady(), timeoutMs)
    if (exited) throw new Error('exited')
  } catch (error) {
    await stopRoutingProxy(proxy)
    const why = exited ? 'it exited' : (error as Error).message
    throw new Error(`${LABELS[plan.name]} did not start (${why}). Its output:\n${proxy.child.output().trim() || '(none)'}`)
  }
  return proxy
}

export async function stopRoutingProxy(proxy: RoutingProxy): Promise<void> {
  await proxy.api.close().catch(() => {})
  await stopChild(proxy.child)
}

/**
 * The routes every routing proxy gets: `/` and `/user/bench` to the backend,
 * plus filler user routes so the table holds `total` routes.
 */
export async function addStandardRoutes(proxy: RoutingProxy, backendUrl: string, total = 10): Promise<void> {
  const routes: Array<[string, Record<string, unknown>]> = [
    ['/', { target: backendUrl }],
    ['/user/bench', { target: backendUrl, jupyterhub: true, user: 'bench' }],
  ]
  for (let i = routes.length; i < total; i++) routes.push([`/user/filler${i}`, { target: backendUrl, jupyterhub: true, user: `filler${i}` }])
  for (const [path, data] of routes) {
    const status = await proxy.api.addRoute(path, data)
    if (status !== 201) throw new Error(`${LABELS[proxy.name]}: POST /api/routes${path} answered ${status}, expected 201`)
  }
}

/** nginx in front of the backend, or undefined when /usr/sbin/nginx is missing. */
export async function startNginx(backendPort: number): Promise<Contestant | undefined> {
  if (!nginxAvailable()) return undefined
  const dir = benchTempDir('nginx')
  const port = await freePort()
  const conf = join(dir, 'nginx.conf')
  await writeFile(conf, renderNginxConfig({ dir, port, backendPort }))
  const child = startChild('nginx', NGINX_BIN, ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf])
  const url = `http://127.0.0.1:${port}`
  let exited = false
  void child.exited.then(() => (exited = true))
  try {
    await waitUntil(`nginx on ${url}`, async () => exited || (await fetch(url + '/small')).ok, 10_000)
    if (exited) throw new Error('it exited')
  } catch (error) {
    await stopChild(child)
    throw new Error(`nginx did not start (${(error as Error).message}):\n${child.output()}`)
  }
  return { name: 'nginx', url, child }
}

export function backendPortOf(backend: Contestant): number {
  return Number(new URL(backend.url).port)
}
