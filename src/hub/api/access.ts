/**
 * Who may call an API endpoint: the caller's identity (403 without one, as
 * JupyterHub answers — jupyterhub-singleuser treats any other 4xx as fatal),
 * the CSRF check for cookie-authenticated changes, and scope checks with
 * messages that name the scope that is missing.
 */
import type { FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import { identifyRequest, requireCsrf, type Identity } from '../identity.ts'
import { hasScope, type ScopeTarget } from '../../auth/scopes.ts'
import { forbidden } from '../api-errors.ts'

/** The caller, or a 403 ApiError. State-changing methods with a session cookie also need X-XSRFToken. */
export function caller(hub: HubContext, req: FastifyRequest): Identity {
  const who = identifyRequest(hub, req.raw)
  if (who === null) {
    const hasToken = req.headers.authorization !== undefined
    throw forbidden(
      hasToken
        ? 'the API token is not valid (unknown, revoked or expired) — make a new one on the token page or with `monohub token create`'
        : 'authentication required — send an API token (Authorization: token <t>) or log in',
      'NOT_AUTHENTICATED',
    )
  }
  requireCsrf(hub, who, req.raw)
  return who
}

/** Throws 403 unless `who` holds `scope` on `target`. */
export function requireScope(who: Identity, scope: string, target: ScopeTarget = {}): void {
  if (hasScope(who.scopes, scope, target)) return
  const on = target.user !== undefined ? ` on user '${target.user}'` : ''
  throw forbidden(`this action requires the scope '${scope}'${on}, which ${who.via === 'token' ? 'this token' : `user '${who.name}'`} does not have`, 'MISSING_SCOPE')
}
