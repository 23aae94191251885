/**
 * GET /hub/api/services and /services/<name>, in JupyterHub's service model:
 * the full model with `read:services` on the service, else the name alone
 * (`read:services:name`); listing needs `list:services` (admins have both).
 */
import type { FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import { hasScope } from '../../auth/scopes.ts'
import { notFound } from '../api-errors.ts'
import { servicesOf, type RunningService } from '../services/services.ts'
import { caller, requireScope } from './access.ts'
import type { ApiRoutes } from './api-routes.ts'

/** JupyterHub's service model (`roles` are the built-in ones its scopes come from). */
export function serviceModel(service: RunningService, scopes: ReadonlySet<string>): Record<string, unknown> {
  const { config } = service
  if (!hasScope(scopes, 'read:services', { service: config.name })) return { kind: 'service', name: config.name }
  return {
    kind: 'service',
    name: config.name,
    admin: config.admin,
    roles: config.admin ? ['admin'] : [],
    scopes: [...config.scopes],
    url: config.url ?? '',
    prefix: service.prefix,
    command: config.command ?? [],
    pid: service.process?.pid ?? 0,
    info: config.info,
    display: config.display,
  }
}

export function serviceRoutes(routes: ApiRoutes, hub: HubContext): void {
  routes.add('/services', {
    GET: {
      handler: async (req: FastifyRequest) => {
        const who = caller(hub, req)
        requireScope(who, 'list:services')
        const out: Record<string, unknown> = {}
        for (const service of servicesOf(hub).list) out[service.config.name] = serviceModel(service, who.scopes)
        return out
      },
    },
  })

  routes.add('/services/:name', {
    GET: {
      schema: { params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
      handler: async (req: FastifyRequest<{ Params: { name: string } }>) => {
        const who = caller(hub, req)
        const name = req.params.name
        if (!hasScope(who.scopes, 'read:services:name', { service: name })) requireScope(who, 'read:services')
        const service = servicesOf(hub).get(name)
        if (service === undefined) throw notFound(`no service '${name}'`, 'NO_SUCH_SERVICE')
        return serviceModel(service, who.scopes)
      },
    },
  })
}
