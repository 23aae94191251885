/**
 * WebSocket echo side by side: N clients ping-pong small messages through each
 * contestant to the backend's echo server; messages/s and round-trip latency.
 *
 * Clients, backend and proxy share the machine's cores, so messages/s says as
 * much about them as about the proxy. Two more columns separate the proxy's
 * own cost: the CPU time its process spent per message (read from /proc), and
 * a bare Node TCP pipe (tcp-pipe.ts) as the reference for what moving a
 * message through any Node process costs.
 */
import { sideBySide, type BenchContext } from './bench-context.ts'
import { stopChild } from './children.ts'
import { backendPortOf, LABELS, startTcpPipe, type ContestantName } from './contestants.ts'
import { count, divide, ms, ratio } from './format.ts'
import { cpuSecondsOf } from './proc-stats.ts'
import { target, type CaseReport } from './report.ts'
import { interleave, medianOf } from './rounds.ts'
import { runWsEcho, type WsEchoResult } from './ws-echo.ts'

const wsUrl = (httpUrl: string): string => httpUrl.replace(/^http/, 'ws') + '/ws'

interface WsRound extends WsEchoResult {
  /** CPU time of the contestant's process per message (µs); NaN where /proc cannot be read. */
  cpuUsPerMessage: number
}

export async function runWsCase(ctx: BenchContext): Promise<CaseReport> {
  const { wsClients, rounds, seconds } = ctx.options
  ctx.log(`WebSocket echo, ${wsClients} clients`)
  const pipe = await startTcpPipe(backendPortOf(ctx.backend))
  let results: Map<ContestantName, WsRound>
  try {
    const contestants = [...sideBySide(ctx), pipe]
    for (const c of contestants) await runWsEcho(wsUrl(c.url), wsClients, 1)
    const samples = await interleave(contestants, rounds, async (c, round): Promise<WsRound> => {
      const before = await cpuSecondsOf(c.child.pid)
      const result = await runWsEcho(wsUrl(c.url), wsClients, seconds)
      const after = await cpuSecondsOf(c.child.pid)
      const cpuUsPerMessage = before === undefined || after === undefined || result.messages === 0 ? Number.NaN : ((after.self - before.self) * 1e6) / result.messages
      ctx.log(`  round ${round + 1}/${rounds} ${LABELS[c.name]}: ${count(result.messagesPerSec)} msg/s, p99 ${ms(result.p99Ms)}, ${cpuUsPerMessage.toFixed(1)} µs CPU a message`)
      return { ...result, cpuUsPerMessage }
    })
    results = new Map([...samples].map(([c, rs]) => [c.name, medianOf(rs)]))
  } finally {
    await stopChild(pipe.child)
  }
  const m = results.get('monohub')
  const lines: string[] = []
  for (const other of ['chp', 'direct', 'nginx', 'pipe'] as const) {
    const o = results.get(other)
    if (m !== undefined && o !== undefined) lines.push(`monohub/${LABELS[other]} msg/s: ${ratio(divide(m.messagesPerSec, o.messagesPerSec))}`)
  }
  const chp = results.get('chp')
  if (m !== undefined && chp !== undefined) lines.push(`monohub/CHP CPU a message: ${ratio(divide(m.cpuUsPerMessage, chp.cpuUsPerMessage))}`)
  lines.push('CPU a message = CPU time of that contestant\'s own process over messages echoed (for direct: the backend\'s); Node TCP pipe = bytes piped by a Node process, no HTTP or WebSocket parsing')
  const vsChp = divide(m?.messagesPerSec, chp?.messagesPerSec)
  return {
    id: 'ws',
    title: `WebSocket echo, ${wsClients} clients ping-pong 64-byte messages, ${rounds}×${seconds} s per contestant`,
    header: ['contestant', 'msg/s', 'p50', 'p99', 'CPU a message', 'errors'],
    rows: [...results].map(([name, r]) => [LABELS[name], count(r.messagesPerSec), ms(r.p50Ms), ms(r.p99Ms), Number.isNaN(r.cpuUsPerMessage) ? 'n/a' : `${r.cpuUsPerMessage.toFixed(1)} µs`, count(r.errors)]),
    lines: m === undefined ? ['monohub did not run; no ratios'] : lines,
    targets: [target(`WebSocket echo (${wsClients} clients): monohub ≥ 2× CHP msg/s`, vsChp === undefined ? undefined : vsChp >= 2, `${ratio(vsChp)} of CHP`)],
    data: Object.fromEntries(results),
  }
}
