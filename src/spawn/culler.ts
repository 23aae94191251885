/**
 * Idle culling: servers idle longer than the idle timeout (activity = the
 * later of proxy traffic on the route and the server's own reports) or older
 * than the max age are stopped. A pure decision plus a small timer; a culled
 * server starts again the next time its user comes.
 */
import type { ServerManager, ServerStatus, SpawnLogger } from './lifecycle.ts'

export interface CullPolicy {
  /** Stop servers idle this long (ms); 0 = never for idleness. */
  idleTimeoutMs: number
  /** Stop servers this old whatever their activity (ms); 0 = no limit. */
  maxAgeMs?: number
}

export interface CullDecision {
  user: string
  server: string
  reason: 'idle' | 'age'
  /** How long idle (or how old), ms. */
  forMs: number
}

/** Which servers to stop now. Pending servers (starting or stopping) are never culled. */
export function decideCulls(servers: readonly ServerStatus[], now: number, policy: CullPolicy): CullDecision[] {
  const out: CullDecision[] = []
  for (const s of servers) {
    if (!s.ready || s.pending !== null || s.started === undefined) continue
    const age = now - s.started
    const idle = now - (s.lastActivity ?? s.started)
    if (policy.maxAgeMs !== undefined && policy.maxAgeMs > 0 && age > policy.maxAgeMs) {
      out.push({ user: s.user, server: s.name, reason: 'age', forMs: age })
    } else if (policy.idleTimeoutMs > 0 && idle > policy.idleTimeoutMs) {
      out.push({ user: s.user, server: s.name, reason: 'idle', forMs: idle })
    }
  }
  return out
}

export interface CullerOptions extends CullPolicy {
  /** How often to look (ms; default: a tenth of the idle timeout, between 1 s and 5 min). */
  intervalMs?: number
  /** Called before each round, e.g. to flush proxy activity (default: nothing). */
  beforeRound?: () => Promise<void>
  log?: SpawnLogger
  now?: () => number
}

export interface Culler {
  /** One round now; resolves to what was culled. */
  runOnce(): Promise<CullDecision[]>
  stop(): void
}

export function startCuller(manager: ServerManager, options: CullerOptions): Culler {
  const now = options.now ?? Date.now
  const interval = options.intervalMs ?? Math.min(Math.max(Math.round(options.idleTimeoutMs / 10), 1000), 300_000)
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let running: Promise<CullDecision[]> | undefined

  async function round(): Promise<CullDecision[]> {
    await options.beforeRound?.()
    const decisions = decideCulls(manager.list(), now(), options)
    for (const d of decisions) {
      options.log?.info({ user: d.user, server: d.server, reason: d.reason, seconds: Math.round(d.forMs / 1000) },
        d.reason === 'idle' ? 'culling an idle server' : 'culling a server past its max age')
      await manager.stop(d.user, d.server).catch((error: unknown) => options.log?.warn({ user: d.user, server: d.server }, `could not cull: ${(error as Error).message}`))
    }
    return decisions
  }

  const runOnce = (): Promise<CullDecision[]> => {
    running ??= round().finally(() => { running = undefined })
    return running
  }

  const schedule = (): void => {
    timer = setTimeout(() => {
      runOnce().catch(() => []).finally(() => { if (!stopped) schedule() })
    }, interval)
    timer.unref()
  }
  if (options.idleTimeoutMs > 0 || (options.maxAgeMs ?? 0) > 0) schedule()

  return {
    runOnce,
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}
