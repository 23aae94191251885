/**
 * `npm run bench` — monohub proxy side by side with configurable-http-proxy
 * (CHP), nginx and the backend itself, in one run on this machine.
 *
 *   npm run bench                          all cases, ~10 minutes on 2 cores
 *   npm run bench -- --quick               smoke run, about a minute
 *   npm run bench -- --only small,ws       some cases: small, big, ws, idle, routes, lookup, memory, auth, spawn
 *   npm run bench -- --json bench.json     also write every number as JSON
 *   npm run bench -- --load autocannon     use autocannon even when wrk is installed
 *   npm run bench -- --rounds 5 --seconds 10
 *
 * (Without the build step: `node test/bench/run.ts …` once `npm run build` has run.)
 *
 * Every contestant forwards to the same backend process (test/bench/backend.ts)
 * on 127.0.0.1 and runs on the same Node; monohub and CHP get the same command
 * line and the same routes (`/` and `/user/bench` → backend). Load comes from
 * wrk when /usr/bin/wrk exists, else autocannon; rounds are interleaved
 * (A, B, C, A, B, C …) and the median round is reported. nginx joins when
 * /usr/sbin/nginx exists. If monohub proxy cannot start, the run goes on
 * without it and says why; its targets are then NOT RUN.
 *
 * Progress goes to stderr; the report (markdown tables, then each target with
 * MET / NOT MET) to stdout. Every child process is killed at the end, on an
 * error and on Ctrl-C. Exit status: 0 when every selected case ran (targets
 * missed or not), 1 when a case failed, 2 for a usage error.
 */
import { writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import type { BenchContext } from './bench-context.ts'
import { runAuthCase } from './case-auth.ts'
import { runSpawnCase } from './case-spawn.ts'
import { runBigCase, runSmallCase } from './case-http.ts'
import { runIdleCase } from './case-idle.ts'
import { runLookupCase } from './case-lookup.ts'
import { runMemoryCase } from './case-memory.ts'
import { runRoutesCase } from './case-routes.ts'
import { runWsCase } from './case-ws.ts'
import { installCleanupHandlers, killAllChildren } from './children.ts'
import {
  addStandardRoutes, backendPortOf, MONOHUB_BIN, nginxAvailable, startBackend, startNginx, startRoutingProxy, stopRoutingProxy,
  type Contestant, type RoutingProxy,
} from './contestants.ts'
import { count } from './format.ts'
import { CASE_IDS, parseOptions, UsageError, type BenchOptions, type CaseId } from './options.ts'
import { fdLimitOf } from './proc-stats.ts'
import { renderReport, type CaseReport } from './report.ts'

const CASES: Record<CaseId, (ctx: BenchContext) => Promise<CaseReport>> = {
  small: runSmallCase,
  big: runBigCase,
  ws: runWsCase,
  idle: runIdleCase,
  routes: runRoutesCase,
  lookup: runLookupCase,
  memory: runMemoryCase,
  auth: runAuthCase,
  spawn: (ctx) => runSpawnCase(ctx, ctx.options.quick ? 50 : 200),
}

const log = (message: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

async function startContestants(options: BenchOptions): Promise<BenchContext> {
  const backend = await startBackend()
  const chp = await startRoutingProxy({ name: 'chp' })
  await addStandardRoutes(chp, backend.url)
  let monohub: RoutingProxy | undefined
  let monohubProblem: string | undefined
  try {
    monohub = await startRoutingProxy({ name: 'monohub' })
    await addStandardRoutes(monohub, backend.url)
  } catch (error) {
    if (monohub !== undefined) await stopRoutingProxy(monohub)
    monohub = undefined
    monohubProblem = (error as Error).message
    log(`monohub proxy is not available; running without it.\n${monohubProblem}`)
  }
  let nginx: Contestant | undefined
  try {
    nginx = await startNginx(backendPortOf(backend))
  } catch (error) {
    log(`nginx left out: ${(error as Error).message}`)
  }
  return {
    options,
    backend,
    monohub,
    monohubProblem,
    chp,
    nginx,
    fdLimits: { runner: await fdLimitOf('self'), child: await fdLimitOf(chp.child.pid) },
    bigTables: {},
    log,
  }
}

function environment(ctx: BenchContext): string[] {
  const o = ctx.options
  const cpuList = cpus()
  return [
    `date: ${new Date().toISOString()}; Node ${process.version}; ${cpuList.length} × ${cpuList[0]?.model.trim() ?? 'unknown CPU'}`,
    `load generator: ${o.load}; ${o.rounds} interleaved round(s) of ${o.seconds} s per contestant, median reported${o.quick ? '; --quick (smaller counts)' : ''}`,
    `contestants: direct (backend), ${ctx.monohub ? 'monohub proxy' : 'monohub NOT RUN'}, configurable-http-proxy, ${ctx.nginx ? 'nginx' : nginxAvailable() ? 'nginx failed to start' : 'no nginx'}`,
    ...(ctx.monohubProblem ? [`monohub proxy could not start (${MONOHUB_BIN}): ${ctx.monohubProblem.split('\n')[0]}`] : []),
    `open-files limit: runner ${count(ctx.fdLimits.runner)}, child processes ${count(ctx.fdLimits.child)}`,
  ]
}

function failedCase(id: CaseId, error: unknown): CaseReport {
  const message = error instanceof Error ? error.message : String(error)
  return { id, title: `${id}: FAILED`, header: ['error'], rows: [[message.split('\n')[0]!]], lines: message.split('\n').slice(1, 6), targets: [], data: { error: message } }
}

async function stopBigTables(ctx: BenchContext): Promise<void> {
  for (const proxy of [ctx.bigTables.monohub, ctx.bigTables.chp]) if (proxy !== undefined) await stopRoutingProxy(proxy)
  ctx.bigTables = {}
}

async function main(): Promise<number> {
  installCleanupHandlers()
  let options: BenchOptions
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`${error.message}\n`)
    return 2
  }
  const ctx = await startContestants(options)
  const reports: CaseReport[] = []
  let failures = 0
  for (const id of CASE_IDS) {
    if (!options.only.has(id)) continue
    try {
      reports.push(await CASES[id](ctx))
    } catch (error) {
      failures++
      log(`case ${id} failed: ${(error as Error).stack ?? String(error)}`)
      reports.push(failedCase(id, error))
    }
    // The big tables serve the lookup case; after it (or without it) they only cost memory.
    if (id === 'lookup' || (id === 'routes' && !options.only.has('lookup'))) await stopBigTables(ctx)
  }
  process.stdout.write(renderReport(environment(ctx), reports))
  if (options.json !== undefined) {
    const json = { environment: environment(ctx), options: { ...options, only: [...options.only] }, cases: reports }
    await writeFile(options.json, JSON.stringify(json, null, 2) + '\n')
    log(`JSON written to ${options.json}`)
  }
  return failures === 0 ? 0 : 1
}

main().then(
  (code) => {
    killAllChildren()
    process.exit(code)
  },
  (error: unknown) => {
    log(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    killAllChildren()
    process.exit(1)
  },
)
