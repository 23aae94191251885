/**
 * A big route table through the REST API: add rate with ~10 requests in
 * flight, memory and GET /api/routes time afterwards, and for monohub a crash
 * (kill -9) and restart on the same --data-dir: how long until the route added
 * last is served again, and whether every acknowledged route survived.
 * The proxies holding the big table stay up for the lookup case.
 */
import { get } from 'node:http'
import type { BenchContext } from './bench-context.ts'
import { crashChild } from './children.ts'
import { addStandardRoutes, LABELS, spawnRoutingProxy, startRoutingProxy, stopRoutingProxy, type RoutingProxy } from './contestants.ts'
import { count, ms } from './format.ts'
import { formatMiB, treeRssOf } from './proc-stats.ts'
import { target, type CaseReport } from './report.ts'
import { addManyRoutes, floodRoutePath, type FloodResult } from './route-flood.ts'
import { waitUntil } from './wait-until.ts'

const STANDARD_ROUTES = 10
const RESTART_LIMIT_MS = 30_000

interface TableResult {
  proxy: 'monohub' | 'chp'
  flood: FloodResult
  rss: number | undefined
  listMs: number
  listed: number
  restartMs?: number
  listedAfterRestart?: number
  restartProblem?: string
}

/** A fresh proxy with the standard routes plus `routes` flood routes. */
export async function buildBigTable(ctx: BenchContext, name: 'monohub' | 'chp'): Promise<{ proxy: RoutingProxy; flood: FloodResult }> {
  const proxy = await startRoutingProxy({ name })
  await addStandardRoutes(proxy, ctx.backend.url, STANDARD_ROUTES)
  ctx.log(`  ${LABELS[name]}: adding ${count(ctx.options.routes)} routes, ${ctx.options.routesInFlight} in flight`)
  const flood = await addManyRoutes(proxy.api, ctx.options.routes, ctx.options.routesInFlight, ctx.backend.url, ctx.options.stepBudgetMs)
  ctx.log(`  ${LABELS[name]}: ${count(flood.routesPerSec)} routes/s, ${count(flood.added)} added, ${flood.failed} failed${flood.firstFailure ? ` (${flood.firstFailure})` : ''}${flood.stoppedEarly ? ', stopped by the time budget' : ''}`)
  return { proxy, flood }
}

/** Resolves true once GET `url` answers 200 "ok" on a fresh connection. */
function servedOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 1_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve(res.statusCode === 200 && body === 'ok'))
      res.on('error', () => resolve(false))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
  })
}

/** kill -9, start again on the same ports and data dir; ms from spawn to the last route served. */
async function crashAndRestart(old: RoutingProxy, lastAdded: number): Promise<{ proxy: RoutingProxy; restartMs: number }> {
  await crashChild(old.child)
  await old.api.close().catch(() => {})
  const lastRoute = `${old.url}${floodRoutePath(lastAdded)}/small`
  const started = performance.now()
  const proxy = await spawnRoutingProxy({ name: old.name, port: old.port, apiPort: old.apiPort, dataDir: old.dataDir })
  let exited = false
  void proxy.child.exited.then(() => (exited = true))
  await waitUntil(`${lastRoute} after restart`, async () => exited || servedOk(lastRoute), RESTART_LIMIT_MS, 10)
  const restartMs = performance.now() - started
  if (exited) throw new Error(`monohub exited after restart: ${proxy.child.output()}`)
  await waitUntil('monohub API after restart', () => proxy.api.isReady(), RESTART_LIMIT_MS)
  return { proxy, restartMs }
}

async function measureTable(ctx: BenchContext, name: 'monohub' | 'chp'): Promise<TableResult> {
  const built = await buildBigTable(ctx, name)
  const flood = built.flood
  let proxy = built.proxy
  const rss = await treeRssOf(proxy.child.pid)
  const list = await proxy.api.listRoutes()
  ctx.log(`  ${LABELS[name]}: RSS ${formatMiB(rss)}, GET /api/routes ${ms(list.ms)} for ${count(list.count)} routes`)
  const result: TableResult = { proxy: name, flood, rss, listMs: list.ms, listed: list.count }
  if (name === 'monohub' && flood.lastAdded >= 0) {
    try {
      const restarted = await crashAndRestart(proxy, flood.lastAdded)
      proxy = restarted.proxy
      result.restartMs = restarted.restartMs
      result.listedAfterRestart = (await proxy.api.listRoutes()).count
      ctx.log(`  monohub: kill -9 → last route served again in ${ms(result.restartMs)}; ${count(result.listedAfterRestart)} routes after restart`)
    } catch (error) {
      result.restartProblem = (error as Error).message
      ctx.log(`  monohub restart failed: ${result.restartProblem}`)
    }
  }
  if (proxy.child.process.exitCode === null) ctx.bigTables[name] = proxy
  else await stopRoutingProxy(proxy)
  return result
}

export async function runRoutesCase(ctx: BenchContext): Promise<CaseReport> {
  const routes = ctx.options.routes
  ctx.log(`${count(routes)} routes through the API`)
  const results: TableResult[] = []
  if (ctx.monohub !== undefined) results.push(await measureTable(ctx, 'monohub'))
  results.push(await measureTable(ctx, 'chp'))
  const m = results.find((r) => r.proxy === 'monohub')
  const expected = (m?.flood.added ?? routes) + STANDARD_ROUTES
  const lines = [
    `each proxy also holds ${STANDARD_ROUTES} standard routes; monohub acknowledged ${count(expected)} routes, so that many must be there after kill -9`,
    'CHP keeps routes in memory only: nothing survives its restart, so it has no restart column',
  ]
  if (m?.restartProblem !== undefined) lines.push(`monohub restart: ${m.restartProblem}`)
  for (const r of results) {
    if (r.flood.stoppedEarly) lines.push(`${LABELS[r.proxy]}: the ${Math.round(ctx.options.stepBudgetMs / 1000)} s time budget ran out after ${count(r.flood.added)} routes`)
    if (r.flood.firstFailure !== undefined) lines.push(`${LABELS[r.proxy]}: first failure: ${r.flood.firstFailure}`)
  }
  return {
    id: 'routes',
    title: `${count(routes)} routes added through the REST API, ${ctx.options.routesInFlight} requests in flight`,
    header: ['proxy', 'routes/s', 'failed', 'add time', 'RSS after', 'GET /api/routes', 'listed', 'kill -9 → last route served', 'routes after restart'],
    rows: results.map((r) => [
      LABELS[r.proxy], count(r.flood.routesPerSec), count(r.flood.failed), `${(r.flood.ms / 1000).toFixed(1)} s`, formatMiB(r.rss),
      ms(r.listMs), count(r.listed), r.proxy === 'chp' ? '—' : ms(r.restartMs), r.proxy === 'chp' ? '—' : count(r.listedAfterRestart),
    ]),
    lines,
    targets: [
      target(
        `${count(routes)} routes via the API: monohub ≥ 5,000 routes/s, every one persisted`,
        m === undefined ? undefined : !m.flood.stoppedEarly && m.flood.failed === 0 && m.flood.routesPerSec >= 5_000 && m.listedAfterRestart === expected,
        m === undefined ? 'monohub did not run' : `${count(m.flood.routesPerSec)} routes/s, ${count(m.listedAfterRestart)} of ${count(expected)} after kill -9`,
      ),
      target(
        `kill -9 with ${count(routes)} routes, restart: last route served ≤ 2 s after spawn`,
        m === undefined ? undefined : m.restartMs !== undefined && m.restartMs <= 2_000,
        m === undefined ? 'monohub did not run' : m.restartMs === undefined ? `restart failed: ${m.restartProblem}` : ms(m.restartMs),
      ),
    ],
    data: { results },
  }
}
