/**
 * /hub/api/groups… (JupyterHub's groups): list, create (one or many), read,
 * delete, add and remove members, set properties. Membership lives on the
 * users (UserRecord.groups) — the same list an authenticator fills from an
 * identity provider — so `!group=<name>` scope filters and user models see
 * it at once. A group an authenticator named but nobody created still
 * exists (it has members); creating it adds a record with properties.
 */
import type { FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import type { GroupRecord } from '../../auth/records.ts'
import { groupsOf } from '../../auth/records.ts'
import { normalizeUserName } from '../../auth/user-name.ts'
import { hasScope, scopeReach } from '../../auth/scopes.ts'
import { badRequest, conflict, notFound } from '../api-errors.ts'
import { caller, requireScope } from './access.ts'
import { isoOrNull } from './models.ts'
import { paginate, pageQuerySchema, type PageQuery } from './pagination.ts'
import type { Identity } from '../identity.ts'
import type { ApiRoutes } from './api-routes.ts'

const MAX_GROUP_NAME = 255
// No control characters or slashes (a group name is a URL path segment and a scope filter value).
const BAD_GROUP_CHARS = /[\u0000-\u001f\u007f/!=]/

export function validateGroupName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_GROUP_NAME || BAD_GROUP_CHARS.test(name) || name.trim() !== name) {
    throw badRequest(`invalid group name ${JSON.stringify(name)} — 1–${MAX_GROUP_NAME} characters, no '/', '!', '=', control characters or surrounding spaces`, 'BAD_GROUP_NAME')
  }
  return name
}

interface GroupView {
  name: string
  record: GroupRecord | undefined
  members: string[]
}

/** Every group: records plus groups only named on users, with their members. */
function allGroups(hub: HubContext): Map<string, GroupView> {
  const out = new Map<string, GroupView>()
  for (const record of Object.values(groupsOf(hub.store.state))) out.set(record.name, { name: record.name, record, members: [] })
  for (const user of Object.values(hub.store.state.users)) {
    for (const g of user.groups) {
      let view = out.get(g)
      if (view === undefined) {
        view = { name: g, record: undefined, members: [] }
        out.set(g, view)
      }
      view.members.push(user.name)
    }
  }
  for (const view of out.values()) view.members.sort()
  return out
}

function findGroup(hub: HubContext, name: string): GroupView | undefined {
  return allGroups(hub).get(name)
}

function existingGroup(hub: HubContext, name: string): GroupView {
  const group = findGroup(hub, name)
  if (group === undefined) throw notFound(`no group '${name}'`, 'NO_SUCH_GROUP')
  return group
}

export function groupModel(view: GroupView): Record<string, unknown> {
  return { kind: 'group', name: view.name, users: view.members, properties: view.record?.properties ?? {}, roles: [], created: isoOrNull(view.record?.created) }
}

function visibleGroupModel(view: GroupView, who: Identity): Record<string, unknown> {
  return hasScope(who.scopes, 'read:groups', { group: view.name }) ? groupModel(view) : { kind: 'group', name: view.name }
}

/** The named users, normalised; 400 naming those that do not exist. */
function existingUserNames(hub: HubContext, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.some((n) => typeof n !== 'string')) throw badRequest('users must be a list of user names', 'BAD_USERS')
  const users = hub.store.state.users
  const names = [...new Set((raw as string[]).map((n) => normalizeUserName(n)))]
  const missing = names.filter((n) => !Object.hasOwn(users, n))
  if (missing.length > 0) throw badRequest(`no such user${missing.length === 1 ? '' : 's'}: ${missing.join(', ')} — create them first`, 'NO_SUCH_USER')
  return names
}

async function createGroup(hub: HubContext, name: string, users: string[], properties: Record<string, unknown>): Promise<GroupView> {
  await hub.store.commit({ op: 'group.put', group: { name, properties, created: hub.now() } })
  if (users.length > 0) await hub.store.commit({ op: 'group.members', name, add: users, remove: [] })
  return existingGroup(hub, name)
}

const nameParam = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } as const
const usersBody = { type: 'object', properties: { users: { type: 'array', items: { type: 'string' }, maxItems: 10_000 } }, required: ['users'] } as const

export function groupRoutes(routes: ApiRoutes, hub: HubContext): void {
  routes.add('/groups', {
    GET: {
      schema: { querystring: { type: 'object', properties: pageQuerySchema } },
      handler: async (req: FastifyRequest<{ Querystring: PageQuery }>) => {
        const who = caller(hub, req)
        const reach = scopeReach(who.scopes, 'list:groups') ?? scopeReach(who.scopes, 'read:groups')
        if (reach === null) requireScope(who, 'list:groups')
        const visible = [...allGroups(hub).values()]
          .filter((g) => reach === 'all' || (reach !== null && reach.groups.has(g.name)))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        return paginate(req, req.query, visible, hub.settings.publicUrl, (g) => visibleGroupModel(g, who))
      },
    },
    POST: {
      schema: { body: { type: 'object', properties: { groups: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1000 } }, required: ['groups'] } },
      handler: async (req: FastifyRequest<{ Body: { groups: string[] } }>, reply) => {
        const who = caller(hub, req)
        requireScope(who, 'admin:groups')
        const names = [...new Set(req.body.groups.map(validateGroupName))]
        const taken = names.filter((n) => findGroup(hub, n) !== undefined)
        if (taken.length > 0) throw conflict(`group${taken.length === 1 ? '' : 's'} already exist${taken.length === 1 ? 's' : ''}: ${taken.join(', ')}`, 'GROUP_EXISTS')
        const created: GroupView[] = []
        for (const name of names) created.push(await createGroup(hub, name, [], {}))
        hub.log.info({ by: who.name, groups: names }, 'groups created')
        return reply.code(201).send(created.map(groupModel))
      },
    },
  })

  routes.add('/groups/:name', {
    GET: {
      schema: { params: nameParam },
      handler: async (req: FastifyRequest<{ Params: { name: string } }>) => {
        const who = caller(hub, req)
        const name = req.params.name
        if (!hasScope(who.scopes, 'read:groups:name', { group: name })) requireScope(who, 'read:groups', { group: name })
        return visibleGroupModel(existingGroup(hub, name), who)
      },
    },
    POST: {
      schema: { params: nameParam, body: { type: ['object', 'null'], properties: { users: usersBody.properties.users, properties: { type: 'object' } } } },
      handler: async (req: FastifyRequest<{ Params: { name: string }; Body: { users?: string[]; properties?: Record<string, unknown> } | null }>, reply) => {
        const who = caller(hub, req)
        requireScope(who, 'admin:groups')
        const name = validateGroupName(req.params.name)
        if (findGroup(hub, name) !== undefined) throw conflict(`group '${name}' already exists`, 'GROUP_EXISTS')
        const users = existingUserNames(hub, req.body?.users ?? [])
        const group = await createGroup(hub, name, users, req.body?.properties ?? {})
        hub.log.info({ by: who.name, group: name }, 'group created')
        return reply.code(201).send(groupModel(group))
      },
    },
    DELETE: {
      schema: { params: nameParam },
      handler: async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
        const who = caller(hub, req)
        const name = req.params.name
        requireScope(who, 'delete:groups', { group: name })
        existingGroup(hub, name)
        await hub.store.commit({ op: 'group.delete', name })
        hub.log.info({ by: who.name, group: name }, 'group deleted')
        return reply.code(204).send()
      },
    },
  })

  const changeMembers = (adding: boolean) => async (req: FastifyRequest<{ Params: { name: string }; Body: { users: string[] } }>) => {
    const who = caller(hub, req)
    const name = req.params.name
    requireScope(who, 'groups', { group: name })
    const group = existingGroup(hub, name)
    const users = existingUserNames(hub, req.body.users)
    // A group only named on users becomes a record when changed through the API.
    if (group.record === undefined) await hub.store.commit({ op: 'group.put', group: { name, properties: {}, created: hub.now() } })
    await hub.store.commit({ op: 'group.members', name, add: adding ? users : [], remove: adding ? [] : users })
    hub.log.info({ by: who.name, group: name, users, adding }, 'group members changed')
    return groupModel(existingGroup(hub, name))
  }

  routes.add('/groups/:name/users', {
    POST: { schema: { params: nameParam, body: usersBody }, handler: changeMembers(true) },
    DELETE: { schema: { params: nameParam, body: usersBody }, handler: changeMembers(false) },
  })

  routes.add('/groups/:name/properties', {
    PUT: {
      schema: { params: nameParam, body: { type: 'object' } },
      handler: async (req: FastifyRequest<{ Params: { name: string }; Body: Record<string, unknown> }>) => {
        const who = caller(hub, req)
        const name = req.params.name
        requireScope(who, 'groups', { group: name })
        const group = existingGroup(hub, name)
        await hub.store.commit({ op: 'group.put', group: { name, properties: req.body, created: group.record?.created ?? hub.now() } })
        return groupModel(existingGroup(hub, name))
      },
    },
  })
}
