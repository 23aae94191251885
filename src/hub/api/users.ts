/**
 * /hub/api/users…: list, create (one or many), read, modify, delete users.
 * Admins hold every scope needed here; other callers need the JupyterHub
 * scope each route names. Every change is durable before the answer.
 *
 * Beyond JupyterHub: POST /users/<name> and PATCH /users/<name> accept
 * `password` (local accounts), which `monohub user` uses through a running hub.
 */
import type { FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import type { UserRecord } from '../../auth/records.ts'
import { newUserRecord } from '../../auth/records.ts'
import { normalizeUserName, validateUserName } from '../../auth/user-name.ts'
import { checkPasswordPolicy, hashPassword } from '../../auth/passwords.ts'
import { hasScope, scopeReach } from '../../auth/scopes.ts'
import { badRequest, conflict, notFound } from '../api-errors.ts'
import { caller, requireScope } from './access.ts'
import { userModel, userModelWithServers, visibleUserModel } from './models.ts'
import { paginate, pageQuerySchema, type PageQuery } from './pagination.ts'
import type { Identity } from '../identity.ts'
import type { ApiRoutes } from './api-routes.ts'
import { serversByUser } from './server-model.ts'
import { serverRoutes } from './servers.ts'

const USER_STATES = ['ready', 'active', 'inactive'] as const

interface ListQuery extends PageQuery {
  state?: (typeof USER_STATES)[number]
  name_filter?: string
}

const listSchema = {
  querystring: {
    type: 'object',
    properties: { ...pageQuerySchema, state: { type: 'string', enum: USER_STATES }, name_filter: { type: 'string', maxLength: 256 } },
  },
} as const

const nameParam = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const

const password = { type: 'string', minLength: 1, maxLength: 1024 } as const

const createManySchema = {
  body: {
    type: 'object',
    properties: { usernames: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1000 }, admin: { type: 'boolean' } },
    required: ['usernames'],
  },
} as const

const createOneSchema = {
  params: nameParam,
  body: { type: ['object', 'null'], properties: { admin: { type: 'boolean' }, password } },
} as const

const patchSchema = {
  params: nameParam,
  body: { type: 'object', properties: { name: { type: 'string' }, admin: { type: 'boolean' }, password } },
} as const

export function findUser(hub: HubContext, rawName: string): UserRecord | undefined {
  const users = hub.store.state.users
  const name = normalizeUserName(rawName)
  return Object.hasOwn(users, name) ? users[name] : undefined
}

export function existingUser(hub: HubContext, rawName: string): UserRecord {
  const user = findUser(hub, rawName)
  if (user === undefined) throw notFound(`no user '${rawName}'`, 'NO_SUCH_USER')
  return user
}

/** Users sorted by creation, then name (a stable order for paging). */
function listUsers(hub: HubContext, who: Identity, query: ListQuery): UserRecord[] {
  const reach = scopeReach(who.scopes, 'list:users') ?? scopeReach(who.scopes, 'read:users')
  if (reach === null) requireScope(who, 'list:users')
  const { state, name_filter: prefix } = query
  const visible = (u: UserRecord) =>
    reach === 'all' || (reach !== null && (reach.users.has(u.name) || u.groups.some((g) => reach.groups.has(g))))
  // JupyterHub's states: ready = a server is ready; active = a server is ready or pending; inactive = no server at all.
  const servers = state === undefined ? undefined : serversByUser(hub.servers.list())
  const inState = (u: UserRecord): boolean => {
    if (servers === undefined) return true
    const mine = servers.get(u.name)
    if (state === 'inactive') return mine === undefined
    if (mine === undefined) return false
    return state === 'ready' ? mine.some((s) => s.ready) : mine.some((s) => s.ready || s.pending !== null)
  }
  return Object.values(hub.store.state.users)
    .filter((u) => visible(u) && (prefix === undefined || u.name.startsWith(normalizeUserName(prefix))) && inState(u))
    .sort((a, b) => a.created - b.created || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

async function passwordHashFor(hub: HubContext, password: string | undefined): Promise<string | undefined> {
  if (password === undefined) return undefined
  checkPasswordPolicy(password, hub.settings.minPasswordLength)
  return hashPassword(password)
}

/** JupyterHub's ?include_stopped_servers (its presence): stopped named servers in `servers`, with stopped: true. */
function includeStopped(req: FastifyRequest): { includeStopped: boolean } {
  return { includeStopped: Object.hasOwn(req.query as object, 'include_stopped_servers') }
}

export function userRoutes(routes: ApiRoutes, hub: HubContext): void {
  routes.add('/users', {
    GET: {
      schema: listSchema,
      handler: async (req: FastifyRequest<{ Querystring: ListQuery }>) => {
        const who = caller(hub, req)
        const servers = serversByUser(hub.servers.list(undefined, includeStopped(req)))
        return paginate(req, req.query, listUsers(hub, who, req.query), hub.settings.publicUrl, (u) => visibleUserModel(u, who.scopes, servers.get(u.name) ?? []))
      },
    },
    POST: {
      schema: createManySchema,
      handler: async (req: FastifyRequest<{ Body: { usernames: string[]; admin?: boolean } }>, reply) => {
        const who = caller(hub, req)
        requireScope(who, 'admin:users')
        const names = [...new Set(req.body.usernames.map((n) => validateUserName(n)))]
        const fresh = names.filter((n) => findUser(hub, n) === undefined)
        if (fresh.length === 0) throw conflict(names.length === 1 ? `user '${names[0]}' already exists` : `all ${names.length} users already exist`, 'USER_EXISTS')
        const now = hub.now()
        const created = fresh.map((name) => newUserRecord(name, now, { admin: req.body.admin ?? false }))
        await Promise.all(created.map((user) => hub.store.commit({ op: 'user.put', user })))
        hub.log.info({ by: who.name, users: fresh }, 'users created')
        return reply.code(201).send(created.map(userModel))
      },
    },
  })

  routes.add('/users/:name', {
    GET: {
      schema: { params: nameParam },
      handler: async (req: FastifyRequest<{ Params: { name: string } }>) => {
        const who = caller(hub, req)
        const name = normalizeUserName(req.params.name)
        if (!hasScope(who.scopes, 'read:users', { user: name }) && !hasScope(who.scopes, 'read:users:name', { user: name })) requireScope(who, 'read:users', { user: name })
        return visibleUserModel(existingUser(hub, name), who.scopes, hub.servers.list(name, includeStopped(req)))
      },
    },
    POST: {
      schema: createOneSchema,
      handler: async (req: FastifyRequest<{ Params: { name: string }; Body: { admin?: boolean; password?: string } | null }>, reply) => {
        const who = caller(hub, req)
        requireScope(who, 'admin:users')
        const name = validateUserName(req.params.name)
        if (findUser(hub, name) !== undefined) throw conflict(`user '${name}' already exists`, 'USER_EXISTS')
        const passwordHash = await passwordHashFor(hub, req.body?.password)
        const user = newUserRecord(name, hub.now(), { admin: req.body?.admin ?? false, ...(passwordHash === undefined ? {} : { passwordHash }) })
        await hub.store.commit({ op: 'user.put', user })
        hub.log.info({ by: who.name, user: name, admin: user.admin }, 'user created')
        return reply.code(201).send(userModel(user))
      },
    },
    PATCH: {
      schema: patchSchema,
      handler: async (req: FastifyRequest<{ Params: { name: string }; Body: { name?: string; admin?: boolean; password?: string } }>) => {
        const who = caller(hub, req)
        requireScope(who, 'admin:users')
        const user = existingUser(hub, req.params.name)
        const { name: newName, admin, password: newPassword } = req.body
        if (newName !== undefined && normalizeUserName(newName) !== user.name) {
          throw badRequest(`renaming users is not supported — create '${newName}' and delete '${user.name}' instead`, 'RENAME_UNSUPPORTED')
        }
        const passwordHash = await passwordHashFor(hub, newPassword)
        if (admin !== undefined && admin !== user.admin) {
          await hub.store.commit({ op: 'user.put', user: { ...user, admin } })
          hub.log.info({ by: who.name, user: user.name, admin }, 'user admin flag changed')
        }
        if (passwordHash !== undefined) {
          await hub.store.commit({ op: 'user.setPassword', name: user.name, passwordHash })
          // A new password ends the user's sessions, as changing it on the page does.
          await hub.store.commit({ op: 'user.bumpGeneration', name: user.name })
          hub.log.info({ by: who.name, user: user.name }, 'user password set')
        }
        return userModelWithServers(existingUser(hub, user.name), hub.servers.list(user.name))
      },
    },
    DELETE: {
      schema: { params: nameParam },
      handler: async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
        const who = caller(hub, req)
        const name = normalizeUserName(req.params.name)
        requireScope(who, 'delete:users', { user: name })
        const user = existingUser(hub, name)
        if (user.name === who.name) throw badRequest('you cannot delete yourself — ask another admin, or use `monohub user remove`', 'DELETE_SELF')
        // A deleted user's servers stop first (nobody could reach or stop them afterwards).
        await Promise.all(hub.servers.list(user.name).map((s) => hub.servers.stop(s.user, s.name)))
        await hub.store.commit({ op: 'user.delete', name: user.name })
        hub.log.info({ by: who.name, user: user.name }, 'user deleted')
        return reply.code(204).send()
      },
    },
  })

  serverRoutes(routes, hub)
}
