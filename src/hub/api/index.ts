/**
 * The hub's JupyterHub-compatible REST API, as one fastify plugin that the
 * server registers under `/hub/api`. It owns its own body parsing (JSON,
 * whatever the content type says, as JupyterHub reads bodies; an empty body
 * is no body), its error shape `{"status": N, "message": "…"}` (also for
 * schema errors, unknown paths and wrong methods), and the
 * `X-JupyterHub-Version` header on every answer.
 */
import type { FastifyError, FastifyInstance } from 'fastify'
import type { HubContext } from '../context.ts'
import { ApiRoutes } from './api-routes.ts'
import { selfRoutes } from './self.ts'
import { userRoutes } from './users.ts'
import { tokenRoutes } from './tokens.ts'
import { oauthApiPlugin } from './oauth.ts'
import { activityRoutes } from './activity.ts'
import { groupRoutes } from './groups.ts'
import { serviceRoutes } from './services.ts'

/** Largest request body the API reads. Its bodies are small: user lists, token requests. */
export const API_BODY_LIMIT = 256 * 1024

interface ErrorLike {
  status?: unknown
  statusCode?: unknown
  message?: unknown
  code?: unknown
  validation?: unknown
}

function statusOf(err: ErrorLike): number {
  const status = typeof err.status === 'number' ? err.status : typeof err.statusCode === 'number' ? err.statusCode : 500
  return status >= 400 && status <= 599 ? status : 500
}

export async function apiPlugin(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: API_BODY_LIMIT }, (_req, body, done) => {
    const text = (body as string).trim()
    if (text.length === 0) return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(Object.assign(new Error('the request body is not valid JSON'), { status: 400, code: 'BAD_JSON' }), undefined)
    }
  })

  app.addHook('onRequest', async (_req, reply) => {
    reply.header('x-jupyterhub-version', hub.settings.jupyterhubVersion)
  })

  /** ' (one of: a, b)' for a value outside an enum, so the caller learns what to send instead. */
  const allowedValues = (validation: FastifyError['validation']): string => {
    const allowed = validation?.find((v) => v.keyword === 'enum')?.params.allowedValues
    return Array.isArray(allowed) ? ` (one of: ${allowed.join(', ')})` : ''
  }

  app.setErrorHandler((err: FastifyError & ErrorLike, req, reply) => {
    const status = statusOf(err)
    let message = typeof err.message === 'string' && err.message.length > 0 ? err.message : 'request failed'
    if (err.validation !== undefined) message = `invalid request: ${message}${allowedValues(err.validation)}`
    if (status >= 500) {
      req.log.error({ err }, 'API request failed')
      // Internal details stay in the log; stable, typed errors (store locked, disk full) say what to do.
      if (typeof err.code !== 'string' || err.code.startsWith('FST_')) message = 'internal error — see the hub log'
    }
    void reply.code(status).type('application/json; charset=utf-8').send({ status, message })
  })

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).type('application/json; charset=utf-8').send({ status: 404, message: `no API endpoint ${req.method} ${req.url.split('?')[0]}` })
  })

  const routes = new ApiRoutes(app)
  selfRoutes(routes, hub)
  userRoutes(routes, hub)
  tokenRoutes(routes, hub)
  activityRoutes(routes, hub)
  groupRoutes(routes, hub)
  serviceRoutes(routes, hub)
  // A child plugin: OAuth reads urlencoded forms and answers errors in OAuth's shape.
  await app.register(oauthApiPlugin, { hub, prefix: '/oauth2' })
}
