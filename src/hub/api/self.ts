/**
 * The two endpoints every client calls first: GET /hub/api/ (the version,
 * no authentication; jupyterhub-singleuser needs a PEP 440 version in the
 * `X-JupyterHub-Version` header) and GET /hub/api/user (who am I, with
 * expanded scopes; 403 for an unknown token, exactly as JupyterHub).
 */
import type { FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import { caller } from './access.ts'
import { identityModel } from './models.ts'
import { findUser } from './users.ts'
import type { ApiRoutes } from './api-routes.ts'

export function selfRoutes(routes: ApiRoutes, hub: HubContext): void {
  routes.add('/', {
    GET: {
      // The X-JupyterHub-Version header is set on every API answer (index.ts).
      handler: async () => {
        return { version: hub.settings.jupyterhubVersion }
      },
    },
  })

  routes.add('/user', {
    GET: {
      handler: async (req: FastifyRequest) => {
        const who = caller(hub, req)
        return identityModel(who, who.kind === 'service' || (who.via === 'token' && who.tokenId === 'cli') ? undefined : findUser(hub, who.name))
      },
    },
  })
}
