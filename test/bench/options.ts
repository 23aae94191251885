/**
 * Command-line options of `npm run bench` (see the header of run.ts), turned
 * into the sizes and durations each case uses.
 */
import { defaultLoadTool, type LoadTool } from './http-load.ts'

export const CASE_IDS = ['small', 'big', 'ws', 'idle', 'routes', 'lookup', 'memory', 'auth', 'spawn'] as const
export type CaseId = (typeof CASE_IDS)[number]

export interface BenchOptions {
  quick: boolean
  only: ReadonlySet<CaseId>
  json: string | undefined
  load: LoadTool
  /** Interleaved rounds per case. */
  rounds: number
  /** Seconds of load per contestant per round. */
  seconds: number
  smallConnections: number
  bigConnections: number
  wsClients: number
  idleSockets: number
  routes: number
  routesInFlight: number
  memoryRequests: number
  memorySocketChurn: number
  trieMs: number
  /** Longest time one open-ended step (route flood, socket opening, request stream) may take. */
  stepBudgetMs: number
}

export class UsageError extends Error {
  readonly code = 'BENCH_USAGE'
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false
  let only: Set<CaseId> = new Set(CASE_IDS)
  let json: string | undefined
  let load: LoadTool = defaultLoadTool()
  let rounds: number | undefined
  let seconds: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new UsageError(`${arg} needs a value`)
      return v
    }
    if (arg === '--quick') quick = true
    else if (arg === '--only') only = parseCaseList(value())
    else if (arg === '--json') json = value()
    else if (arg === '--load') load = parseLoadTool(value())
    else if (arg === '--rounds') rounds = positiveInteger(arg, value())
    else if (arg === '--seconds') seconds = positiveInteger(arg, value())
    else throw new UsageError(`unknown option '${arg}' — see the header of test/bench/run.ts for the options`)
  }
  return {
    quick,
    only,
    json,
    load,
    rounds: rounds ?? (quick ? 1 : 3),
    seconds: seconds ?? (quick ? 1 : 5),
    smallConnections: 50,
    bigConnections: 10,
    wsClients: 50,
    idleSockets: quick ? 1_000 : 10_000,
    routes: quick ? 5_000 : 100_000,
    routesInFlight: 10,
    memoryRequests: quick ? 10_000 : 200_000,
    memorySocketChurn: quick ? 500 : 10_000,
    trieMs: quick ? 300 : 1_500,
    stepBudgetMs: quick ? 30_000 : 150_000,
  }
}

function parseCaseList(text: string): Set<CaseId> {
  const ids = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  for (const id of ids) {
    if (!(CASE_IDS as readonly string[]).includes(id)) throw new UsageError(`--only: unknown case '${id}'; cases are ${CASE_IDS.join(',')}`)
  }
  if (ids.length === 0) throw new UsageError(`--only needs at least one of ${CASE_IDS.join(',')}`)
  return new Set(ids as CaseId[])
}

function parseLoadTool(text: string): LoadTool {
  if (text === 'wrk' || text === 'autocannon') return text
  throw new UsageError(`--load must be wrk or autocannon, not '${text}'`)
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number ≥ 1, not '${text}'`)
  return n
}
