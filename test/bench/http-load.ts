/**
 * HTTP load generation: wrk when it is installed (a C program, so the load
 * generator takes little CPU from the proxies on a small machine), autocannon
 * in this process otherwise. Both report the same numbers.
 *
 * wrk's human output rounds its numbers, so a small Lua `done` hook prints
 * exact ones as one JSON line.
 */
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startChild } from './children.ts'
import { benchTempDir } from './temp-dirs.ts'

export type LoadTool = 'wrk' | 'autocannon'

export interface HttpLoadInput {
  url: string
  connections: number
  /** Whole seconds (wrk's smallest unit). */
  seconds: number
  /** Sent with every request (e.g. a session cookie). */
  headers?: Record<string, string>
}

export interface HttpLoadResult {
  requests: number
  rps: number
  bytesPerSec: number
  meanMs: number
  p50Ms: number
  p99Ms: number
  /** Socket errors, timeouts and non-2xx/3xx answers together. */
  errors: number
}

const WRK_BIN = '/usr/bin/wrk'

export function defaultLoadTool(): LoadTool {
  return existsSync(WRK_BIN) ? 'wrk' : 'autocannon'
}

export async function runHttpLoad(tool: LoadTool, input: HttpLoadInput): Promise<HttpLoadResult> {
  return tool === 'wrk' ? runWrk(input) : runAutocannon(input)
}

const WRK_REPORT_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,\\"mean_us\\":%f,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"errors\\":%d}\\n",
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
`

let wrkScript: string | undefined

async function runWrk({ url, connections, seconds, headers = {} }: HttpLoadInput): Promise<HttpLoadResult> {
  if (wrkScript === undefined) {
    wrkScript = join(benchTempDir('wrk'), 'report.lua')
    await writeFile(wrkScript, WRK_REPORT_LUA)
  }
  const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '10s', '-s', wrkScript, ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]), url]
  const child = startChild('wrk', WRK_BIN, args)
  await child.exited
  const line = child.output().split('\n').find((l) => l.startsWith('BENCH_JSON '))
  if (line === undefined) throw new Error(`wrk ${args.join(' ')} printed no result (exit ${child.process.exitCode}):\n${child.output()}`)
  const r = JSON.parse(line.slice('BENCH_JSON '.length)) as {
    requests: number; duration_us: number; bytes: number; mean_us: number; p50_us: number; p99_us: number; errors: number
  }
  const secondsRun = r.duration_us / 1e6
  return {
    requests: r.requests,
    rps: r.requests / secondsRun,
    bytesPerSec: r.bytes / secondsRun,
    meanMs: r.mean_us / 1000,
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
    errors: r.errors,
  }
}

interface AutocannonResult {
  requests: { total: number; average: number }
  throughput: { average: number }
  latency: { mean: number; p50: number; p99: number }
  errors: number
  timeouts: number
  non2xx: number
  duration: number
}
type Autocannon = (options: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<AutocannonResult>

async function runAutocannon({ url, connections, seconds, headers }: HttpLoadInput): Promise<HttpLoadResult> {
  // autocannon ships no types; a non-literal specifier keeps tsc from looking for them.
  const specifier: string = 'autocannon'
  const autocannon = ((await import(specifier)) as { default: Autocannon }).default
  const r = await autocannon({ url, connections, duration: seconds, ...(headers === undefined ? {} : { headers }) })
  return {
    requests: r.requests.total,
    rps: r.requests.total / r.duration,
    bytesPerSec: r.throughput.average,
    meanMs: r.latency.mean,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  }
}
