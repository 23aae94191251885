/**
 * /hub/api/users/<name>/server and /servers/<server>: start, stop and the
 * progress event stream, in JupyterHub's shapes (REFERENCE §3). A stopped
 * named server stays listed until DELETE …/servers/<server> with
 * {"remove": true} forgets it (stopping it first if it runs).
 *
 * Start waits up to API_SPAWN_WAIT_MS (JupyterHub's slow_spawn_timeout):
 * 201 when the server is ready by then, else 202 and the start goes on (its
 * progress at …/progress). Stop likewise: 204 stopped, 202 still stopping.
 * Errors: SpawnLimitError → 429 with Retry-After; other SpawnErrors → their
 * status and message (with the last lines of the server's log).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import type { ProgressEvent } from '../../spawn/progress-feed.ts'
import { SpawnLimitError } from '../../spawn/errors.ts'
import { normalizeUserName } from '../../auth/user-name.ts'
import { badRequest } from '../api-errors.ts'
import { caller, requireScope } from './access.ts'
import { existingUser } from './users.ts'
import { serverModel } from './server-model.ts'
import type { ApiRoutes } from './api-routes.ts'

/** How long start/stop wait before answering 202 (JupyterHub's slow_spawn_timeout). */
export const API_SPAWN_WAIT_MS = 10_000

type ServerParams = { name: string; server?: string }

const defaultParams = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const
const namedParams = { type: 'object', properties: { name: { type: 'string' }, server: { type: 'string' } }, required: ['name', 'server'] } as const

function target(hub: HubContext, params: ServerParams): { user: string; server: string } {
  const user = existingUser(hub, normalizeUserName(params.name)).name
  return { user, server: params.server ?? '' }
}

/** Resolves to 'done' when `promise` settles within `ms` (rejecting as it does), else 'waiting'. */
async function within<T>(promise: Promise<T>, ms: number): Promise<'done' | 'waiting'> {
  let timer: NodeJS.Timeout | undefined
  const waiting = new Promise<'waiting'>((resolve) => { timer = setTimeout(() => resolve('waiting'), ms) })
  try {
    return await Promise.race([promise.then(() => 'done' as const), waiting])
  } finally {
    clearTimeout(timer)
  }
}

/** One progress event in JupyterHub's shape (plus `log_tail` on failure). */
export function progressEventJson(e: ProgressEvent): string {
  return JSON.stringify({
    progress: e.progress,
    message: e.message,
    ready: e.ready === true,
    failed: e.failed === true,
    url: e.url ?? null,
    ...(e.logTail === undefined ? {} : { log_tail: e.logTail }),
  })
}

export function serverRoutes(routes: ApiRoutes, hub: HubContext): void {
  const start = async (req: FastifyRequest<{ Params: ServerParams; Body: unknown }>, reply: FastifyReply) => {
    const who = caller(hub, req)
    const { user, server } = target(hub, req.params)
    requireScope(who, 'servers', { user, server: `${user}/${server}` })
    const current = hub.servers.status(user, server)
    const label = server === '' ? `${user}'s server` : `${user}'s server '${server}'`
    if (current?.ready === true) throw badRequest(`${label} is already running`, 'SERVER_RUNNING')
    if (current?.pending != null) throw badRequest(`${label} is pending ${current.pending}`, 'SERVER_PENDING')
    // No body: the options of the server's last start, as JupyterHub does; a body (even {}) sets new ones.
    const starting = hub.servers.start(user, server, req.body ?? undefined)
    let outcome: 'done' | 'waiting'
    try {
      outcome = await within(starting, API_SPAWN_WAIT_MS)
    } catch (err) {
      if (err instanceof SpawnLimitError) reply.header('retry-after', String(err.retryAfterSeconds))
      throw err
    }
    hub.log.info({ by: who.name, user, server }, outcome === 'done' ? 'server started through the API' : 'server starting through the API')
    const status = hub.servers.status(user, server)
    return reply.code(outcome === 'done' ? 201 : 202).send(status === undefined ? {} : serverModel(status))
  }

  const stop = async (req: FastifyRequest<{ Params: ServerParams; Body: unknown }>, reply: FastifyReply) => {
    const who = caller(hub, req)
    const { user, server } = target(hub, req.params)
    requireScope(who, 'delete:servers', { user, server: `${user}/${server}` })
    const body = req.body
    if (typeof body === 'object' && body !== null && (body as { remove?: unknown }).remove === true) {
      if (server === '') throw badRequest(`${user}'s default server cannot be removed, only stopped`, 'DEFAULT_SERVER_REMOVE')
      const removed = await within(hub.servers.remove(user, server), API_SPAWN_WAIT_MS)
      hub.log.info({ by: who.name, user, server }, 'named server removed through the API')
      return reply.code(removed === 'done' ? 204 : 202).send()
    }
    if (hub.servers.status(user, server) === undefined) return reply.code(204).send()
    const outcome = await within(hub.servers.stop(user, server), API_SPAWN_WAIT_MS)
    hub.log.info({ by: who.name, user, server }, 'server stopped through the API')
    return reply.code(outcome === 'done' ? 204 : 202).send()
  }

  const progress = async (req: FastifyRequest<{ Params: ServerParams }>, reply: FastifyReply) => {
    const who = caller(hub, req)
    const { user, server } = target(hub, req.params)
    requireScope(who, 'read:servers', { user, server: `${user}/${server}` })
    const events = hub.servers.progress(user, server)[Symbol.asyncIterator]()
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      'x-accel-buffering': 'no',
      'x-jupyterhub-version': hub.settings.jupyterhubVersion,
    })
    // Comment line first, so proxies and browsers see the stream open at once.
    res.write(':ok\n\n')
    const closed = new Promise<'closed'>((resolve) => res.once('close', () => resolve('closed')))
    for (;;) {
      const next = await Promise.race([events.next(), closed])
      if (next === 'closed' || next.done === true) break
      res.write(`data: ${progressEventJson(next.value)}\n\n`)
    }
    res.end()
  }

  routes.add('/users/:name/server', {
    POST: { schema: { params: defaultParams }, handler: start },
    DELETE: { schema: { params: defaultParams }, handler: stop },
  })
  routes.add('/users/:name/servers/:server', {
    POST: { schema: { params: namedParams }, handler: start },
    DELETE: { schema: { params: namedParams }, handler: stop },
  })
  routes.add('/users/:name/server/progress', { GET: { schema: { params: defaultParams }, handler: progress } })
  routes.add('/users/:name/servers/:server/progress', { GET: { schema: { params: namedParams }, handler: progress } })
}
