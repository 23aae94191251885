/**
 * Set-up for spawn tests: a temporary data dir, the persisted route table,
 * a ServerManager with the process spawner (as a non-root hub, whatever the
 * test machine runs as), and teardown that stops every server it started —
 * and, as a last resort at exit, SIGKILLs every process group a test saw.
 */
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import http from 'node:http'
import { openRoutes, type OpenedRoutes } from '../../src/proxy/open-routes.ts'
import { ServerManager, type ServerManagerOptions } from '../../src/spawn/lifecycle.ts'
import { processSpawner, type ProcessSpawnerOptions } from '../../src/spawn/spawners/process.ts'
import type { Spawner } from '../../src/spawn/spawner.ts'

export interface Teardown {
  teardown(fn: () => unknown): void
}

export async function tempDir(t: Teardown, prefix = 'monohub-spawn-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

const seenPids = new Set<number>()
process.on('exit', () => {
  for (const pid of seenPids) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
  }
})

/** True when `pid` runs and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

export function testProcessSpawner(options: ProcessSpawnerOptions = {}): Spawner {
  return processSpawner({ getuid: () => 1000, stopGraceMs: 2000, ...options })
}

export interface Hub {
  dataDir: string
  routes: OpenedRoutes
  manager: ServerManager
  /** The pid of a process-spawner server (also remembered for the exit clean-up). */
  pid(user: string, server?: string): number
  /** Opens a new manager on the same data dir and routes (close the old one first). */
  reopen(overrides?: Partial<ServerManagerOptions>): Promise<ServerManager>
}

export async function startHub(t: Teardown, options: Partial<ServerManagerOptions> = {}): Promise<Hub> {
  const dir = await tempDir(t)
  const routes = await openRoutes(dir)
  const base: ServerManagerOptions = { dataDir: dir, routes: routes.routes, spawner: testProcessSpawner(), pollIntervalMs: 0, startTimeoutMs: 20_000, ...options }
  const hub: Hub = {
    dataDir: dir,
    routes,
    manager: await ServerManager.open(base),
    pid(user, server = '') {
      const state = hub.manager.record(user, server)?.state as { pid?: number } | undefined
      if (typeof state?.pid !== 'number') throw new Error(`no pid for ${user}/${server}`)
      seenPids.add(state.pid)
      return state.pid
    },
    async reopen(overrides = {}) {
      hub.manager = await ServerManager.open({ ...base, ...overrides })
      return hub.manager
    },
  }
  t.teardown(async () => {
    for (const s of hub.manager.list()) {
      try {
        hub.pid(s.user, s.name)
      } catch {}
    }
    await hub.manager.stopAll().catch(() => {})
    await hub.manager.close().catch(() => {})
    await routes.close()
  })
  return hub
}

export interface Answer {
  status: number
  body: string
  headers: http.IncomingHttpHeaders
}

/** One GET without keep-alive. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    }).on('error', reject)
  })
}

/** The route's target + path and the token header the proxy would inject. */
export function viaRoute(hub: Hub, routePath: string): { url: string; headers: Record<string, string> } {
  const route = hub.routes.routes.get(routePath)
  if (route === undefined) throw new Error(`no route ${routePath}`)
  const token = route.data.authToken
  return { url: `${route.origin}${routePath}`, headers: typeof token === 'string' ? { authorization: `token ${token}` } : {} }
}
