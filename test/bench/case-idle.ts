/**
 * Idle WebSockets held open through a fresh proxy (so memory left over from
 * earlier cases does not count): memory per connection. Each
 * proxied socket costs the proxy two file descriptors (client side and
 * upstream side), so the count is capped by the open-files limit the proxy
 * got; when capped, the report says so and projects RSS to the full count.
 */
import type { BenchContext } from './bench-context.ts'
import { addStandardRoutes, LABELS, startRoutingProxy, stopRoutingProxy, type RoutingProxy } from './contestants.ts'
import { count, divide } from './format.ts'
import { fdLimitOf, formatMiB, treeRssOf } from './proc-stats.ts'
import { target, type CaseReport } from './report.ts'
import { closeAll, countEchoes, openMany } from './ws-idle.ts'

const RSS_LIMIT_BYTES = 300e6
const OPEN_CONCURRENCY = 200
/** Descriptors a proxy needs besides the sockets: listeners, logs, epoll, pipes. */
const FD_RESERVE = 200
const SAMPLE = 50

interface IdleResult {
  proxy: string
  wanted: number
  tried: number
  opened: number
  failed: number
  firstError: string | undefined
  openMs: number
  echoed: number
  sampled: number
  rssBefore: number | undefined
  rssOpen: number | undefined
  rssAfterClose: number | undefined
  /** RSS projected to `wanted` sockets when the fd limit capped the count. */
  rssProjected: number | undefined
}

async function holdIdle(ctx: BenchContext, proxy: RoutingProxy, wanted: number): Promise<IdleResult> {
  const proxyLimit = await fdLimitOf(proxy.child.pid)
  const runnerLimit = ctx.fdLimits.runner ?? Number.MAX_SAFE_INTEGER
  const tried = Math.max(1, Math.min(wanted, Math.floor(((proxyLimit ?? Number.MAX_SAFE_INTEGER) - FD_RESERVE) / 2), runnerLimit - FD_RESERVE))
  ctx.log(`  ${LABELS[proxy.name]}: opening ${count(tried)} idle WebSockets${tried < wanted ? ` (capped by open-files limits: proxy ${count(proxyLimit)}, runner ${count(runnerLimit)})` : ''}`)
  const url = proxy.url.replace(/^http/, 'ws') + '/ws'
  const rssBefore = await treeRssOf(proxy.child.pid)
  const opened = await openMany(url, tried, OPEN_CONCURRENCY, ctx.options.stepBudgetMs)
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const rssOpen = await treeRssOf(proxy.child.pid)
  const sample = opened.sockets.filter((_, i) => i % Math.max(1, Math.floor(opened.sockets.length / SAMPLE)) === 0).slice(0, SAMPLE)
  const echoed = await countEchoes(sample)
  await closeAll(opened.sockets)
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  const rssAfterClose = await treeRssOf(proxy.child.pid)
  const perSocket = rssOpen !== undefined && rssBefore !== undefined && opened.sockets.length > 0 ? (rssOpen - rssBefore) / opened.sockets.length : undefined
  const rssProjected = perSocket !== undefined && tried < wanted ? rssBefore! + perSocket * wanted : rssOpen
  ctx.log(`  ${LABELS[proxy.name]}: ${count(opened.sockets.length)} open, ${opened.failed} failed, RSS ${formatMiB(rssOpen)}`)
  return {
    proxy: proxy.name, wanted, tried, opened: opened.sockets.length, failed: opened.failed, firstError: opened.firstError,
    openMs: opened.ms, echoed, sampled: sample.length, rssBefore, rssOpen, rssAfterClose, rssProjected,
  }
}

export async function runIdleCase(ctx: BenchContext): Promise<CaseReport> {
  const wanted = ctx.options.idleSockets
  ctx.log(`${count(wanted)} idle WebSockets`)
  const results: IdleResult[] = []
  for (const name of ['monohub', 'chp'] as const) {
    if (name === 'monohub' && ctx.monohub === undefined) continue
    const proxy = await startRoutingProxy({ name })
    try {
      await addStandardRoutes(proxy, ctx.backend.url, 10)
      results.push(await holdIdle(ctx, proxy, wanted))
    } finally {
      await stopRoutingProxy(proxy)
    }
  }
  const m = results.find((r) => r.proxy === 'monohub')
  const lines: string[] = []
  for (const r of results) {
    if (r.tried < r.wanted) lines.push(`${LABELS[r.proxy as 'monohub']}: open-files limit allowed ${count(r.tried)} of ${count(r.wanted)} sockets (each needs 2 descriptors in the proxy; \`ulimit -n\` could not be raised); "RSS at ${count(r.wanted)}" is projected from the measured per-socket cost`)
    if (r.failed > 0) lines.push(`${LABELS[r.proxy as 'monohub']}: ${count(r.failed)} opens failed, first: ${r.firstError}`)
  }
  const met = m === undefined ? undefined : m.failed === 0 && m.echoed === m.sampled && m.rssProjected !== undefined && m.rssProjected <= RSS_LIMIT_BYTES
  return {
    id: 'idle',
    title: `${count(wanted)} idle WebSockets held open through a fresh proxy`,
    header: ['proxy', 'opened', 'failed', 'open time', 'echo check', 'RSS before', 'RSS open', `RSS at ${count(wanted)}`, 'per socket', 'RSS after close'],
    rows: results.map((r) => [
      LABELS[r.proxy as 'monohub'], count(r.opened), count(r.failed), `${(r.openMs / 1000).toFixed(1)} s`, `${r.echoed}/${r.sampled}`,
      formatMiB(r.rssBefore), formatMiB(r.rssOpen), formatMiB(r.rssProjected),
      `${((divide((r.rssOpen ?? 0) - (r.rssBefore ?? 0), r.opened) ?? Number.NaN) / 1024).toFixed(1)} KiB`, formatMiB(r.rssAfterClose),
    ]),
    lines,
    targets: [target(
      `${count(wanted)} idle WebSockets through monohub: RSS ≤ 300 MB (286 MiB), all open and answering`,
      met,
      m === undefined ? 'monohub did not run' : `RSS ${count((m.rssProjected ?? Number.NaN) / 1e6)} MB = ${formatMiB(m.rssProjected)}${m.tried < m.wanted ? ' (projected)' : ''}, ${count(m.opened)} open, ${m.echoed}/${m.sampled} echoed`,
    )],
    data: { results },
  }
}
