/**
 * Registers the API's routes by path, so that a known path asked with a
 * method it does not have answers 405 (with `Allow`) rather than 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions, RouteHandlerMethod } from 'fastify'
import { ApiError } from '../api-errors.ts'

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
const METHODS: readonly Method[] = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']

export interface ApiRoute {
  schema?: RouteShorthandOptions['schema']
  // Each handler declares its own request generics (params, body); the schema enforces them at runtime.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler: (req: FastifyRequest<any>, reply: FastifyReply) => Promise<unknown>
}

export class ApiRoutes {
  readonly #app: FastifyInstance

  constructor(app: FastifyInstance) {
    this.#app = app
  }

  add(url: string, handlers: Partial<Record<Method, ApiRoute>>): void {
    const allowed = METHODS.filter((m) => handlers[m] !== undefined)
    for (const method of allowed) {
      const route = handlers[method] as ApiRoute
      this.#app.route({ method, url, handler: route.handler as RouteHandlerMethod, ...(route.schema === undefined ? {} : { schema: route.schema }) })
    }
    const others = METHODS.filter((m) => handlers[m] === undefined)
    if (others.length === 0) return
    const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', ')
    this.#app.route({
      method: others,
      url,
      handler: async (req, reply) => {
        reply.header('allow', allow)
        throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.url.split('?')[0]} — use ${allow}`)
      },
    })
  }
}
