/**
 * /hub/api/users/<name>/tokens…: make, list, read and revoke API tokens.
 * The owner (by token, or by session with X-XSRFToken) or an admin. A new
 * token's scopes must be within what its owner may do AND what the caller
 * may do (a narrow token cannot mint a wider one). The token itself is in
 * the create answer only; the store keeps its SHA-256.
 */
import type { FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import type { TokenRecord } from '../../auth/tokens.ts'
import type { UserRecord } from '../../auth/records.ts'
import { normalizeUserName } from '../../auth/user-name.ts'
import { createToken, tokenModel, tokensOf } from '../../auth/tokens.ts'
import { expandScopes, intersectScopes, roleScopes, validateScopes } from '../../auth/scopes.ts'
import { forbidden, notFound } from '../api-errors.ts'
import { scopesOfUser, tokenLastUsed, type Identity } from '../identity.ts'
import { caller, requireScope } from './access.ts'
import { existingUser } from './users.ts'
import { isoOrNull } from './models.ts'
import type { ApiRoutes } from './api-routes.ts'

interface CreateBody {
  note?: string
  expires_in?: number | null
  scopes?: string[]
  roles?: string[]
}

const createSchema = {
  params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  body: {
    type: ['object', 'null'],
    properties: {
      note: { type: 'string', maxLength: 1000 },
      expires_in: { type: ['integer', 'null'], minimum: 1 },
      scopes: { type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: 100 },
      roles: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 10 },
    },
  },
} as const

const idParams = { params: { type: 'object', properties: { name: { type: 'string' }, id: { type: 'string' } }, required: ['name', 'id'] } } as const

function model(hub: HubContext, record: TokenRecord): Record<string, unknown> {
  return { ...tokenModel(record), last_activity: isoOrNull(tokenLastUsed(hub, record)) }
}

function ownedToken(hub: HubContext, owner: string, id: string): TokenRecord {
  const tokens = hub.store.state.tokens
  const record = Object.hasOwn(tokens, id) ? tokens[id] : undefined
  if (record === undefined || record.owner !== owner) throw notFound(`user '${owner}' has no token '${id}'`, 'NO_SUCH_TOKEN')
  return record
}

export function tokenRoutes(routes: ApiRoutes, hub: HubContext): void {
  routes.add('/users/:name/tokens', {
    GET: {
      schema: { params: createSchema.params },
      handler: async (req: FastifyRequest<{ Params: { name: string } }>) => {
        const who = caller(hub, req)
        const user = existingUserFor(hub, who, req.params.name, 'read:tokens')
        return { api_tokens: tokensOf(hub.store.state.tokens, user.name).map((t) => model(hub, t)) }
      },
    },
    POST: {
      schema: createSchema,
      handler: async (req: FastifyRequest<{ Params: { name: string }; Body: CreateBody | null }>, reply) => {
        const who = caller(hub, req)
        const owner = existingUserFor(hub, who, req.params.name, 'tokens')
        const body = req.body ?? {}
        const requested = [...(body.scopes ?? []), ...(body.roles ?? []).flatMap((role) => roleScopes(role, { user: owner.name }))]
        if (requested.length === 0) requested.push('inherit') // JupyterHub's default `token` role
        validateScopes(requested)
        const ownerScopes = scopesOfUser(hub, owner)
        const wanted = expandScopes(requested, { name: owner.name, scopes: ownerScopes })
        const granted = intersectScopes(intersectScopes(wanted, ownerScopes), who.scopes)
        const missing = [...wanted].filter((s) => !granted.has(s))
        if (missing.length > 0) {
          throw forbidden(`a token cannot have scopes its owner '${owner.name}' or the caller does not hold: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`, 'SCOPES_NOT_HELD')
        }
        const { token, record } = createToken({
          owner: owner.name,
          note: body.note ?? (who.name === owner.name ? 'Requested via api' : `Requested via api by ${who.name}`),
          scopes: requested,
          now: hub.now(),
          ...(typeof body.expires_in === 'number' ? { expiresIn: body.expires_in } : {}),
        })
        await hub.store.commit({ op: 'token.put', token: record })
        hub.log.info({ by: who.name, owner: owner.name, token: record.id }, 'API token created')
        return reply.code(201).send({ ...model(hub, record), token })
      },
    },
  })

  routes.add('/users/:name/tokens/:id', {
    GET: {
      schema: idParams,
      handler: async (req: FastifyRequest<{ Params: { name: string; id: string } }>) => {
        const who = caller(hub, req)
        const user = existingUserFor(hub, who, req.params.name, 'read:tokens')
        return model(hub, ownedToken(hub, user.name, req.params.id))
      },
    },
    DELETE: {
      schema: idParams,
      handler: async (req: FastifyRequest<{ Params: { name: string; id: string } }>, reply) => {
        const who = caller(hub, req)
        const user = existingUserFor(hub, who, req.params.name, 'tokens')
        const record = ownedToken(hub, user.name, req.params.id)
        await hub.store.commit({ op: 'token.delete', id: record.id })
        hub.log.info({ by: who.name, owner: user.name, token: record.id }, 'API token revoked')
        return reply.code(204).send()
      },
    },
  })
}

/** Scope first (a 403 tells nothing about who exists), then existence (404). */
function existingUserFor(hub: HubContext, who: Identity, rawName: string, scope: string): UserRecord {
  requireScope(who, scope, { user: normalizeUserName(rawName) })
  return existingUser(hub, rawName)
}
