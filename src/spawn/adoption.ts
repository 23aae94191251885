/**
 * Re-adoption at hub start: the servers store lists every server this node
 * started. One that still runs and answers keeps (or gets back) its route;
 * one that is gone — or runs but no longer answers — is stopped and dropped
 * with its route. Routes of user servers with no record are removed too, so
 * the proxy never points at a port someone else may now hold.
 */
import type { RouteWriter } from './route-writer.ts'
import type { Store } from '../store/store.ts'
import type { Spawner } from './spawner.ts'
import type { ServerOp, ServerRecord, ServersState } from './server-store.ts'
import type { ServerEvent, SpawnLogger } from './lifecycle.ts'
import { serverBaseUrl } from './server-names.ts'
import { routeDataFor } from './spawn-attempt.ts'
import { probe } from './readiness.ts'

export interface AdoptionDeps {
  store: Store<ServersState, ServerOp>
  routes: RouteWriter
  spawner: Spawner
  log: SpawnLogger
  emit: (event: ServerEvent) => void
  /** How long a running server gets to answer (default 10 000 ms). */
  answerWithinMs?: number
  /** Servers checked at once (default 16). */
  parallel?: number
}

async function answers(record: ServerRecord, withinMs: number): Promise<boolean> {
  const url = record.url.replace(/\/$/, '') + serverBaseUrl(record.user, record.name)
  const headers: Record<string, string> = record.authToken === undefined ? {} : { authorization: `token ${record.authToken}` }
  const deadline = Date.now() + withinMs
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    const status = await probe(url, headers, Math.min(2000, withinMs))
    if (status > 0 && status < 500) return true
    if (Date.now() + delay > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

function sameRoute(routes: RouteWriter, record: ServerRecord): boolean {
  const route = routes.get(serverBaseUrl(record.user, record.name))
  if (route === undefined) return false
  const want = routeDataFor(record)
  return route.data.target === want.target && route.data.authToken === want.authToken
}

async function adoptOne(deps: AdoptionDeps, key: string, record: ServerRecord): Promise<void> {
  const { store, routes, spawner, log } = deps
  const path = serverBaseUrl(record.user, record.name)
  const who = { user: record.user, server: record.name }
  if (record.spawner !== spawner.name) {
    log.warn({ ...who, state: record.state }, `server ${path} was started by the '${record.spawner}' spawner, but '${spawner.name}' is configured now — forgetting it; if it still runs, stop it by hand`)
    await routes.delete(path)
    await store.commit({ op: 'delete', key })
    deps.emit({ type: 'died', ...who }) // the hub forgets it, and with it its credentials
    return
  }
  const status = await spawner.poll(record.state).catch(() => 'stopped' as const)
  if (status === 'running' && (await answers(record, deps.answerWithinMs ?? 10_000))) {
    if (!sameRoute(routes, record)) await routes.set(path, routeDataFor(record))
    if (!record.ready) await store.commit({ op: 'ready', key })
    log.info(who, `server ${path} is still running; adopted`)
    deps.emit({ type: 'adopted', ...who })
    return
  }
  if (status === 'running') {
    log.warn(who, `server ${path} still runs but does not answer at ${record.url}; stopping it`)
    await spawner.stop(record.state).catch(() => {})
  } else {
    log.info(who, `server ${path} stopped while the hub was down; removing its route`)
  }
  await routes.delete(path)
  await store.commit({ op: 'delete', key })
  deps.emit({ type: 'died', ...who })
}

export async function adoptServers(deps: AdoptionDeps): Promise<void> {
  const queue = Object.entries(deps.store.state.servers)
  const known = new Set(queue.map(([, r]) => serverBaseUrl(r.user, r.name)))
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await adoptOne(deps, item[0], item[1])
  }
  await Promise.all(Array.from({ length: deps.parallel ?? 16 }, worker))

  // User-server routes (JupyterHub's shape) that no record explains.
  const orphans: string[] = []
  for (const [path, data] of deps.routes.list()) {
    if (data.jupyterhub === true && typeof data.user === 'string' && path.startsWith('/user/') && !known.has(`${path}/`) && !known.has(path)) orphans.push(path)
  }
  for (const path of orphans) {
    deps.log.warn({ path }, `route ${path} belongs to no server this hub knows; removing it`)
    await deps.routes.delete(path)
  }
}
