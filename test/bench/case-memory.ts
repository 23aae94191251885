/**
 * Does memory stay flat under traffic? A fresh proxy's RSS at start, after a
 * warm-up, after N more requests and after M WebSocket opens/closes, and a
 * little later. Growth is measured from after the warm-up, so JIT-compiled
 * code and grown-once buffers do not count as a leak.
 */
import type { BenchContext } from './bench-context.ts'
import { addStandardRoutes, LABELS, startRoutingProxy, stopRoutingProxy, type RoutingProxy } from './contestants.ts'
import { count } from './format.ts'
import { runHttpLoad, type LoadTool } from './http-load.ts'
import { formatMiB, treeRssOf } from './proc-stats.ts'
import type { CaseReport } from './report.ts'
import { churn } from './ws-idle.ts'

const CONNECTIONS = 50
const CHURN_CONCURRENCY = 50
const MAX_LOAD_RUNS = 30

interface MemoryResult {
  proxy: 'monohub' | 'chp'
  requests: number
  requestErrors: number
  socketFailures: number
  socketsChurned: number
  rssStart: number | undefined
  rssWarm: number | undefined
  rssAfterRequests: number | undefined
  rssAfterSockets: number | undefined
  rssSettled: number | undefined
}

/** Sends at least `total` requests (or as many as `budgetMs` allows) by running the load tool repeatedly, sized by the rate seen so far. */
async function sendRequests(tool: LoadTool, url: string, total: number, budgetMs: number): Promise<{ requests: number; errors: number }> {
  const deadline = Date.now() + budgetMs
  let requests = 0
  let errors = 0
  let rate = 0
  for (let run = 0; run < MAX_LOAD_RUNS && requests < total && Date.now() < deadline; run++) {
    const left = Math.max(1, Math.floor((deadline - Date.now()) / 1000))
    const seconds = rate === 0 ? 1 : Math.min(left, Math.max(1, Math.ceil((total - requests) / rate)))
    const r = await runHttpLoad(tool, { url, connections: CONNECTIONS, seconds })
    requests += r.requests
    errors += r.errors
    rate = r.rps
  }
  return { requests, errors }
}

async function measure(ctx: BenchContext, proxy: RoutingProxy): Promise<MemoryResult> {
  const { memoryRequests, memorySocketChurn, load } = ctx.options
  const rss = (): Promise<number | undefined> => treeRssOf(proxy.child.pid)
  const url = proxy.url + '/user/bench/api/contents'
  const rssStart = await rss()
  await sendRequests(load, url, Math.round(memoryRequests / 10), ctx.options.stepBudgetMs)
  const rssWarm = await rss()
  const sent = await sendRequests(load, url, memoryRequests, ctx.options.stepBudgetMs)
  const rssAfterRequests = await rss()
  const churned = await churn(proxy.url.replace(/^http/, 'ws') + '/user/bench/api/kernels/k/channels', memorySocketChurn, CHURN_CONCURRENCY, ctx.options.stepBudgetMs)
  const rssAfterSockets = await rss()
  await new Promise((resolve) => setTimeout(resolve, 3_000))
  const rssSettled = await rss()
  ctx.log(`  ${LABELS[proxy.name]}: RSS ${formatMiB(rssWarm)} warm → ${formatMiB(rssAfterRequests)} after ${count(sent.requests)} requests → ${formatMiB(rssAfterSockets)} after ${count(memorySocketChurn)} WebSockets`)
  return {
    proxy: proxy.name, requests: sent.requests, requestErrors: sent.errors, socketFailures: churned.failed, socketsChurned: churned.done,
    rssStart, rssWarm, rssAfterRequests, rssAfterSockets, rssSettled,
  }
}

export async function runMemoryCase(ctx: BenchContext): Promise<CaseReport> {
  const { memoryRequests, memorySocketChurn } = ctx.options
  ctx.log(`memory under ${count(memoryRequests)} requests and ${count(memorySocketChurn)} WebSocket opens/closes`)
  const results: MemoryResult[] = []
  for (const name of ['monohub', 'chp'] as const) {
    if (name === 'monohub' && ctx.monohub === undefined) continue
    const proxy = await startRoutingProxy({ name })
    try {
      await addStandardRoutes(proxy, ctx.backend.url, 10)
      results.push(await measure(ctx, proxy))
    } finally {
      await stopRoutingProxy(proxy)
    }
  }
  const growth = (r: MemoryResult): string =>
    r.rssSettled === undefined || r.rssWarm === undefined ? 'n/a' : `${r.rssSettled >= r.rssWarm ? '+' : ''}${formatMiB(r.rssSettled - r.rssWarm)}`
  return {
    id: 'memory',
    title: `Memory of a fresh proxy: ${count(memoryRequests)} requests, then ${count(memorySocketChurn)} WebSocket opens/closes`,
    header: ['proxy', 'RSS start', 'after warm-up', 'requests', 'after requests', `after ${count(memorySocketChurn)} WS`, '3 s later', 'growth since warm-up', 'errors'],
    rows: results.map((r) => [
      LABELS[r.proxy], formatMiB(r.rssStart), formatMiB(r.rssWarm), count(r.requests), formatMiB(r.rssAfterRequests), formatMiB(r.rssAfterSockets),
      formatMiB(r.rssSettled), growth(r), `${count(r.requestErrors)} HTTP, ${count(r.socketFailures)} WS${r.socketsChurned < memorySocketChurn ? ` (only ${count(r.socketsChurned)} WS in time)` : ''}`,
    ]),
    lines: ['flat is good: growth since warm-up should be small and not grow with more traffic (no target, reported for review)'],
    targets: [],
    data: { results },
  }
}
