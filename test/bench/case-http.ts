/**
 * HTTP throughput side by side: small responses ("ok") at 50 connections, and
 * 1 MiB responses, through each contestant's `/` route to the same backend.
 */
import { sideBySide, type BenchContext } from './bench-context.ts'
import { stopChild } from './children.ts'
import { backendPortOf, LABELS, startTcpPipe, type Contestant, type ContestantName } from './contestants.ts'
import { count, divide, mibPerSec, ms, ratio } from './format.ts'
import { runHttpLoad, type HttpLoadResult } from './http-load.ts'
import { target, type CaseReport } from './report.ts'
import { interleave, medianOf } from './rounds.ts'

/** Median-of-rounds load results per contestant, after a warm-up run each. */
export async function measureSideBySide(ctx: BenchContext, contestants: readonly Contestant[], path: string, connections: number): Promise<Map<ContestantName, HttpLoadResult>> {
  const { load, rounds, seconds } = ctx.options
  for (const c of contestants) await runHttpLoad(load, { url: c.url + path, connections, seconds: 1 })
  const samples = await interleave(contestants, rounds, async (c, round) => {
    const result = await runHttpLoad(load, { url: c.url + path, connections, seconds })
    ctx.log(`  round ${round + 1}/${rounds} ${LABELS[c.name]}: ${count(result.rps)} req/s, p99 ${ms(result.p99Ms)}${result.errors > 0 ? `, ${result.errors} errors` : ''}`)
    return result
  })
  return new Map([...samples].map(([c, rs]) => [c.name, medianOf(rs)]))
}

function ratioLines(results: Map<ContestantName, HttpLoadResult>, metric: (r: HttpLoadResult) => number, what: string): string[] {
  const m = results.get('monohub')
  if (m === undefined) return ['monohub did not run; no ratios']
  const lines: string[] = []
  for (const other of ['chp', 'direct', 'nginx', 'pipe'] as const) {
    const o = results.get(other)
    if (o !== undefined) lines.push(`monohub/${LABELS[other]} ${what}: ${ratio(divide(metric(m), metric(o)))}`)
  }
  return lines
}

function rowsOf(results: Map<ContestantName, HttpLoadResult>, withBytes: boolean): string[][] {
  return [...results].map(([name, r]) => [
    LABELS[name], count(r.rps), ...(withBytes ? [mibPerSec(r.bytesPerSec)] : []), ms(r.p50Ms), ms(r.p99Ms), count(r.errors),
  ])
}

export async function runSmallCase(ctx: BenchContext): Promise<CaseReport> {
  const connections = ctx.options.smallConnections
  ctx.log(`small responses, ${connections} connections`)
  const results = await measureSideBySide(ctx, sideBySide(ctx), '/small', connections)
  const m = results.get('monohub')
  const c = results.get('chp')
  const rpsRatio = divide(m?.rps, c?.rps)
  const p99Ratio = divide(m?.p99Ms, c?.p99Ms)
  return {
    id: 'small',
    title: `Small responses ("ok"), ${connections} connections, ${ctx.options.rounds}×${ctx.options.seconds} s per contestant`,
    header: ['contestant', 'req/s', 'p50', 'p99', 'errors'],
    rows: rowsOf(results, false),
    lines: [...ratioLines(results, (r) => r.rps, 'req/s'), ...(m && c ? [`monohub/CHP p99: ${ratio(p99Ratio)}`] : [])],
    targets: [target(
      `small responses at ${connections} connections: monohub ≥ 3× CHP req/s and p99 ≤ 0.5× CHP`,
      rpsRatio === undefined || p99Ratio === undefined ? undefined : rpsRatio >= 3 && p99Ratio <= 0.5,
      `req/s ${ratio(rpsRatio)}, p99 ${ratio(p99Ratio)}`,
    )],
    data: Object.fromEntries(results),
  }
}

export async function runBigCase(ctx: BenchContext): Promise<CaseReport> {
  const connections = ctx.options.bigConnections
  ctx.log(`1 MiB responses, ${connections} connections`)
  const pipe = await startTcpPipe(backendPortOf(ctx.backend))
  let results: Map<ContestantName, HttpLoadResult>
  try {
    results = await measureSideBySide(ctx, [...sideBySide(ctx), pipe], '/big', connections)
  } finally {
    await stopChild(pipe.child)
  }
  const vsDirect = divide(results.get('monohub')?.bytesPerSec, results.get('direct')?.bytesPerSec)
  const pipeVsDirect = divide(results.get('pipe')?.bytesPerSec, results.get('direct')?.bytesPerSec)
  return {
    id: 'big',
    title: `1 MiB responses, ${connections} connections, ${ctx.options.rounds}×${ctx.options.seconds} s per contestant`,
    header: ['contestant', 'req/s', 'throughput', 'p50', 'p99', 'errors'],
    rows: rowsOf(results, true),
    lines: [
      ...ratioLines(results, (r) => r.bytesPerSec, 'throughput'),
      `Node TCP pipe = every connection piped byte for byte to the backend by a Node process, no HTTP: the most any Node proxy can move here (${ratio(pipeVsDirect)} of direct)`,
    ],
    targets: [target('1 MiB responses: monohub ≥ 0.7× direct throughput', vsDirect === undefined ? undefined : vsDirect >= 0.7, `${ratio(vsDirect)} of direct`)],
    data: Object.fromEntries(results),
  }
}
