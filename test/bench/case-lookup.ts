/**
 * Does the route table's size cost anything per request? The same request
 * (/user/bench/api/kernels/…) through a proxy holding 10 routes and one holding
 * the big table, interleaved; plus the trie alone in a micro-benchmark.
 */
import type { BenchContext } from './bench-context.ts'
import { buildBigTable } from './case-routes.ts'
import { addStandardRoutes, LABELS, startRoutingProxy, stopRoutingProxy, type RoutingProxy } from './contestants.ts'
import { count, divide, ms, ns, ratio } from './format.ts'
import { runHttpLoad, type HttpLoadResult } from './http-load.ts'
import { target, type CaseReport } from './report.ts'
import { interleave, medianOf } from './rounds.ts'
import { runTrieMicro } from './trie-micro.ts'

const PATH = '/user/bench/api/kernels/5f1c2a9e-0b7d-4c1e-9a3f-2d8e6b4c1a70/channels'
const CONNECTIONS = 50

interface Table {
  label: string
  proxy: RoutingProxy
  routes: number
}

export async function runLookupCase(ctx: BenchContext): Promise<CaseReport> {
  const big = ctx.options.routes
  ctx.log(`lookup cost at 10 vs ${count(big)} routes`)
  const started: RoutingProxy[] = []
  const tables: Table[] = []
  try {
    for (const name of ['monohub', 'chp'] as const) {
      if (name === 'monohub' && ctx.monohub === undefined) continue
      const small = await startRoutingProxy({ name })
      started.push(small)
      await addStandardRoutes(small, ctx.backend.url, 10)
      let bigProxy = ctx.bigTables[name]
      if (bigProxy === undefined) {
        bigProxy = (await buildBigTable(ctx, name)).proxy
        started.push(bigProxy)
      }
      // Counted, not assumed: a slow flood may have stopped at its time budget.
      const bigCount = (await bigProxy.api.listRoutes()).count
      tables.push({ label: `${LABELS[name]}, 10 routes`, proxy: small, routes: 10 }, { label: `${LABELS[name]}, ${count(bigCount)} routes`, proxy: bigProxy, routes: bigCount })
    }
    const { load, rounds, seconds } = ctx.options
    for (const t of tables) await runHttpLoad(load, { url: t.proxy.url + PATH, connections: CONNECTIONS, seconds: 1 })
    const samples = await interleave(tables, rounds, async (t, round) => {
      const r = await runHttpLoad(load, { url: t.proxy.url + PATH, connections: CONNECTIONS, seconds })
      ctx.log(`  round ${round + 1}/${rounds} ${t.label}: ${count(r.rps)} req/s, mean ${ms(r.meanMs)}`)
      return r
    })
    const results = new Map<Table, HttpLoadResult>([...samples].map(([t, rs]) => [t, medianOf(rs)]))
    ctx.log('  trie micro-benchmark')
    const micro = await runTrieMicro([10, big], ctx.options.trieMs)
    return report(ctx, tables, results, micro)
  } finally {
    for (const proxy of started) await stopRoutingProxy(proxy)
  }
}

function report(ctx: BenchContext, tables: Table[], results: Map<Table, HttpLoadResult>, micro: Awaited<ReturnType<typeof runTrieMicro>>): CaseReport {
  const costRatio = (name: 'monohub' | 'chp'): { rps?: number; mean?: number } => {
    const [small, big] = tables.filter((t) => t.proxy.name === name).map((t) => results.get(t))
    return { rps: divide(small?.rps, big?.rps), mean: divide(big?.meanMs, small?.meanMs) }
  }
  const lines: string[] = []
  for (const name of ['monohub', 'chp'] as const) {
    const r = costRatio(name)
    if (r.rps !== undefined) lines.push(`${LABELS[name]} cost at ${count(ctx.options.routes)} / at 10 routes: ${ratio(r.rps)} by req/s, ${ratio(r.mean)} by mean latency`)
  }
  for (const m of micro) lines.push(`trie alone, ${count(m.routes)} routes: monohub RouteTable ${ns(m.monohubNsPerMatch)}/match, CHP URLTrie ${ns(m.chpNsPerMatch)}/match`)
  const m = costRatio('monohub')
  return {
    id: 'lookup',
    title: `Lookup cost: ${PATH.slice(0, 24)}… at 10 vs ${count(ctx.options.routes)} routes, ${CONNECTIONS} connections`,
    header: ['proxy and table', 'req/s', 'mean', 'p50', 'p99', 'errors'],
    rows: tables.map((t) => {
      const r = results.get(t)!
      return [t.label, count(r.rps), ms(r.meanMs), ms(r.p50Ms), ms(r.p99Ms), count(r.errors)]
    }),
    lines,
    targets: [target(
      `lookup: monohub cost at ${count(ctx.options.routes)} routes ≤ 1.2× cost at 10 (inverse req/s)`,
      m.rps === undefined ? undefined : m.rps <= 1.2,
      m.rps === undefined ? 'monohub did not run' : `${ratio(m.rps)} by req/s, ${ratio(m.mean)} by mean latency`,
    )],
    data: { http: tables.map((t) => ({ table: t.label, routes: t.routes, ...results.get(t) })), trie: micro },
  }
}
