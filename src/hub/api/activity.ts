/**
 * POST /hub/api/users/<name>/activity — a user server's own activity report
 * (jupyterhub-singleuser sends it every few minutes with its token, REFERENCE §2):
 *
 *   {"servers": {"<server>": {"last_activity": "<ISO>"}}, "last_activity": "<ISO>"}
 *
 * Needs `users:activity` on the user (a server token has it for its owner).
 * Every named server must be one the user has (else 400, nothing recorded);
 * timestamps only move forward and never past the hub's clock. Feeds the
 * idle culler (server models' `last_activity`) and the user's `last_activity`.
 */
import type { FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import { normalizeUserName } from '../../auth/user-name.ts'
import { badRequest } from '../api-errors.ts'
import { caller, requireScope } from './access.ts'
import { existingUser } from './users.ts'
import type { ApiRoutes } from './api-routes.ts'

interface ActivityBody {
  last_activity?: string
  servers?: Record<string, { last_activity?: string }>
}

const activitySchema = {
  params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  body: {
    type: 'object',
    properties: {
      last_activity: { type: 'string' },
      servers: { type: 'object', additionalProperties: { type: 'object', properties: { last_activity: { type: 'string' } } } },
    },
  },
} as const

/** An ISO-8601 timestamp in ms. Without a zone it is UTC (as JupyterHub reads it). */
export function parseActivityTime(value: string, field: string): number {
  const withZone = /(?:Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`
  const ms = /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(withZone) : Number.NaN
  if (!Number.isFinite(ms)) throw badRequest(`${field} '${value}' is not an ISO-8601 timestamp (e.g. 2026-01-01T12:00:00.000Z)`, 'BAD_TIMESTAMP')
  return ms
}

export function activityRoutes(routes: ApiRoutes, hub: HubContext): void {
  routes.add('/users/:name/activity', {
    POST: {
      schema: activitySchema,
      handler: async (req: FastifyRequest<{ Params: { name: string }; Body: ActivityBody | undefined }>) => {
        const who = caller(hub, req)
        const name = normalizeUserName(req.params.name)
        requireScope(who, 'users:activity', { user: name })
        const user = existingUser(hub, name)
        const body = req.body ?? {}
        // Check everything first: a bad report changes nothing.
        const reports: [string, number][] = []
        for (const [server, report] of Object.entries(body.servers ?? {})) {
          if (hub.servers.record(user.name, server) === undefined) {
            throw badRequest(`user '${user.name}' has no server named '${server}' — report activity only for servers the hub started`, 'NO_SUCH_SERVER')
          }
          if (report.last_activity !== undefined) reports.push([server, parseActivityTime(report.last_activity, `servers['${server}'].last_activity`)])
        }
        const userTime = body.last_activity === undefined ? undefined : parseActivityTime(body.last_activity, 'last_activity')
        const now = hub.now()
        let latest = userTime
        for (const [server, at] of reports) {
          await hub.servers.recordActivity(user.name, server, at)
          if (latest === undefined || at > latest) latest = at
        }
        if (latest !== undefined) {
          const at = Math.min(latest, now)
          if (user.lastActivity === undefined || at > user.lastActivity) await hub.store.commit({ op: 'user.activity', name: user.name, at })
        }
        return {}
      },
    },
  })
}
