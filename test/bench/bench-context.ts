/**
 * What every case receives: the options, the running contestants and a logger.
 * Built once by run.ts; cases start extra processes of their own when they
 * need a fresh one (and stop them), so one case's leftovers do not skew another.
 */
import type { Contestant, RoutingProxy } from './contestants.ts'
import type { BenchOptions } from './options.ts'

export interface BenchContext {
  options: BenchOptions
  backend: Contestant
  /** Undefined when monohub proxy could not start; `monohubProblem` says why. */
  monohub: RoutingProxy | undefined
  monohubProblem: string | undefined
  chp: RoutingProxy
  nginx: Contestant | undefined
  /** Soft open-files limits the runner and a child proxy actually got. */
  fdLimits: { runner: number | undefined; child: number | undefined }
  /** Handed from the routes case to the lookup case: proxies holding the big route table. */
  bigTables: { monohub?: RoutingProxy; chp?: RoutingProxy }
  log(message: string): void
}

/** The contestants of the side-by-side HTTP and WebSocket cases, in report order. */
export function sideBySide(ctx: BenchContext): Contestant[] {
  const all: Array<Contestant | undefined> = [ctx.backend, ctx.monohub, ctx.chp, ctx.nginx]
  return all.filter((c): c is Contestant => c !== undefined)
}
