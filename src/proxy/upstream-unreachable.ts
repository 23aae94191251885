/**
 * The proxy's one call-out on upstream errors (ProxyDeps.onUpstreamUnreachable):
 * a route whose server refused or reset the connection before answering is
 * reported to whoever owns the route (the hub checks that server at once).
 * Runs only on errors, so it costs nothing on the hot path.
 */
import type { Logger } from 'pino'
import type { Route } from './route-store.ts'

/** Returns a sentence for the 503 page, or undefined. */
export type UnreachableHook = (route: Route) => string | undefined

/** Runs the hook; one that throws is logged and never breaks the error answer. */
export function upstreamUnreachable(shared: { log: Logger; onUpstreamUnreachable: UnreachableHook | undefined }, route: Route): string | undefined {
  if (shared.onUpstreamUnreachable === undefined) return undefined
  try {
    return shared.onUpstreamUnreachable(route)
  } catch (err) {
    shared.log.error({ err, route: route.prefix }, 'the upstream-unreachable hook threw')
    return undefined
  }
}
