/**
 * WebSocket echo side by side: N clients ping-pong small messages through each
 * contestant to the backend's echo server; messages/s and round-trip latency.
 */
import { sideBySide, type BenchContext } from './bench-context.ts'
import { LABELS, type ContestantName } from './contestants.ts'
import { count, divide, ms, ratio } from './format.ts'
import { target, type CaseReport } from './report.ts'
import { interleave, medianOf } from './rounds.ts'
import { runWsEcho, type WsEchoResult } from './ws-echo.ts'

const wsUrl = (httpUrl: string): string => httpUrl.replace(/^http/, 'ws') + '/ws'

export async function runWsCase(ctx: BenchContext): Promise<CaseReport> {
  const { wsClients, rounds, seconds } = ctx.options
  ctx.log(`WebSocket echo, ${wsClients} clients`)
  const contestants = sideBySide(ctx)
  for (const c of contestants) await runWsEcho(wsUrl(c.url), wsClients, 1)
  const samples = await interleave(contestants, rounds, async (c, round) => {
    const result = await runWsEcho(wsUrl(c.url), wsClients, seconds)
    ctx.log(`  round ${round + 1}/${rounds} ${LABELS[c.name]}: ${count(result.messagesPerSec)} msg/s, p99 ${ms(result.p99Ms)}`)
    return result
  })
  const results = new Map<ContestantName, WsEchoResult>([...samples].map(([c, rs]) => [c.name, medianOf(rs)]))
  const m = results.get('monohub')
  const lines: string[] = []
  for (const other of ['chp', 'direct', 'nginx'] as const) {
    const o = results.get(other)
    if (m !== undefined && o !== undefined) lines.push(`monohub/${LABELS[other]} msg/s: ${ratio(divide(m.messagesPerSec, o.messagesPerSec))}`)
  }
  const vsChp = divide(m?.messagesPerSec, results.get('chp')?.messagesPerSec)
  return {
    id: 'ws',
    title: `WebSocket echo, ${wsClients} clients ping-pong 64-byte messages, ${rounds}×${seconds} s per contestant`,
    header: ['contestant', 'msg/s', 'p50', 'p99', 'errors'],
    rows: [...results].map(([name, r]) => [LABELS[name], count(r.messagesPerSec), ms(r.p50Ms), ms(r.p99Ms), count(r.errors)]),
    lines: m === undefined ? ['monohub did not run; no ratios'] : lines,
    targets: [target(`WebSocket echo (${wsClients} clients): monohub ≥ 2× CHP msg/s`, vsChp === undefined ? undefined : vsChp >= 2, `${ratio(vsChp)} of CHP`)],
    data: Object.fromEntries(results),
  }
}
