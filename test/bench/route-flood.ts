/**
 * Adding many routes through the REST API the way a busy JupyterHub does:
 * a fixed number of requests in flight on keep-alive connections, each
 * waiting for its 201 before the next is sent.
 */
import type { ProxyApi } from './proxy-api.ts'

export interface FloodResult {
  added: number
  /** Highest route index answered 201 (-1 for none): the route "added last". */
  lastAdded: number
  /** True when the time budget ran out before `count` routes were sent. */
  stoppedEarly: boolean
  failed: number
  firstFailure: string | undefined
  ms: number
  routesPerSec: number
}

/** The i-th user route of a flood: `/user/u<i>` → target. */
export function floodRoutePath(i: number): string {
  return `/user/u${i}`
}

/** Adds routes 0…count-1; stops sending new ones after `budgetMs` so a slow proxy cannot stall the run. */
export async function addManyRoutes(api: ProxyApi, count: number, inFlight: number, target: string, budgetMs: number): Promise<FloodResult> {
  const deadline = Date.now() + budgetMs
  let next = 0
  let added = 0
  let lastAdded = -1
  let failed = 0
  let firstFailure: string | undefined
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      const i = next++
      try {
        const status = await api.addRoute(floodRoutePath(i), { target, jupyterhub: true, user: `u${i}` })
        if (status === 201) {
          added++
          lastAdded = Math.max(lastAdded, i)
        }
        else {
          failed++
          firstFailure ??= `POST ${floodRoutePath(i)} answered ${status}`
        }
      } catch (error) {
        failed++
        firstFailure ??= `POST ${floodRoutePath(i)}: ${(error as Error).message}`
      }
      // A proxy that refuses everything should not take 100,000 requests to notice.
      if (failed > 1_000 && failed > added) return
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const ms = performance.now() - started
  return { added, lastAdded, stoppedEarly: next < count, failed, firstFailure, ms, routesPerSec: added / (ms / 1000) }
}
