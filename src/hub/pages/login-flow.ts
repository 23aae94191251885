/**
 * What happens once an authenticator has said who someone is — the same for
 * every kind: the access rules decide (allowed? admin?), the user record is
 * created or updated, a session cookie is issued and the browser goes on to
 * the (validated) `next` page. Also the short-lived signed cookie that keeps
 * a redirect login's state (PKCE verifier, state, nonce, next) between the
 * start and the callback.
 */
import signature from 'cookie-signature'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import type { AuthRequest, AuthResult } from '../../auth/authenticator.ts'
import { decideLogin } from '../../auth/access-rules.ts'
import { newUserRecord, type UserRecord } from '../../auth/records.ts'
import { getCookie, serializeCookie } from '../../auth/cookie-header.ts'
import { safeNextUrl } from '../../auth/next-url.ts'
import { PageError } from './page-error.ts'
import { addCookie, startSession, type Form } from './page-session.ts'

export const HOME_PATH = '/hub/home'
export const FLOW_COOKIE_NAME = 'monohub-oauth-flow'
const FLOW_LIFETIME_MS = 10 * 60_000

/** The validated `next` of a request (query), or the home page. */
export function nextOf(req: FastifyRequest, form?: Form): string {
  const query = req.query as Record<string, unknown> | undefined
  return safeNextUrl(form?.next ?? query?.next, HOME_PATH)
}

/** The request as the Authenticator seam sees it. */
export function authRequest(hub: HubContext, req: FastifyRequest, extra: { form?: Form; flow?: Record<string, string> } = {}): AuthRequest {
  return {
    url: new URL(req.url, origin(hub, req)),
    method: req.method,
    headers: req.headers,
    remoteAddress: req.socket.remoteAddress ?? '',
    ...extra,
  }
}

/** The hub's public origin: publicUrl when configured, else what the request shows. */
export function origin(hub: HubContext, req: FastifyRequest): string {
  if (hub.settings.publicUrl !== undefined) return hub.settings.publicUrl
  const proto = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http'
  return `${proto}://${req.headers.host ?? 'localhost'}`
}

const PENDING_ADVICE = 'An administrator has to approve your account first. Try again later, or contact an administrator.'

/** Decides, records and starts the session; redirects to `next`. */
export async function completeLogin(hub: HubContext, reply: FastifyReply, result: AuthResult, next: string): Promise<UserRecord> {
  const decision = decideLogin(result, hub.rules)
  if (!decision.allowed) {
    throw new PageError(403, 'LOGIN_NOT_ALLOWED', decision.message, 'If you think you should have access, ask an administrator of this hub.')
  }
  const users = hub.store.state.users
  let user = Object.hasOwn(users, decision.name) ? users[decision.name] : undefined
  if (user === undefined) {
    user = newUserRecord(decision.name, hub.now(), { admin: decision.admin, groups: decision.groups })
    await hub.store.commit({ op: 'user.put', user })
  } else {
    const admin = decision.admin || user.admin
    const groups = result.groups === undefined ? user.groups : decision.groups
    if (admin !== user.admin || groups.join('\n') !== user.groups.join('\n')) {
      user = { ...user, admin, groups }
      await hub.store.commit({ op: 'user.put', user })
    }
  }
  const stored = hub.store.state.users[decision.name] as UserRecord
  if (!stored.approved) throw new PageError(403, 'PENDING_APPROVAL', `Your account '${stored.name}' is waiting for an administrator's approval.`, PENDING_ADVICE)
  startSession(hub, reply, stored)
  hub.log.info({ user: stored.name, authenticator: hub.authenticator.name }, `login: ${stored.name}`)
  void reply.redirect(next, 302)
  return stored
}

interface FlowCookie {
  flow: Record<string, string>
  next: string
  exp: number
}

/** Keeps a redirect login's state in a signed cookie for 10 minutes. */
export function setFlowCookie(hub: HubContext, reply: FastifyReply, flow: Record<string, string>, next: string): void {
  const payload: FlowCookie = { flow, next, exp: hub.now() + FLOW_LIFETIME_MS }
  const value = signature.sign(Buffer.from(JSON.stringify(payload)).toString('base64url'), hub.secrets.cookieKeys[0] as string)
  addCookie(reply, serializeCookie(FLOW_COOKIE_NAME, value, { maxAge: FLOW_LIFETIME_MS / 1000, path: '/hub/', httpOnly: true, sameSite: 'Lax', secure: hub.settings.secureCookies }))
}

/** The login state of this browser's redirect login, or undefined when there is none (or it expired, or was tampered with). */
export function readFlowCookie(hub: HubContext, req: FastifyRequest, reply: FastifyReply): FlowCookie | undefined {
  const raw = getCookie(req.headers.cookie, FLOW_COOKIE_NAME)
  addCookie(reply, serializeCookie(FLOW_COOKIE_NAME, '', { maxAge: 0, path: '/hub/', httpOnly: true, sameSite: 'Lax', secure: hub.settings.secureCookies }))
  if (raw === undefined || raw.length > 4096) return undefined
  for (const key of hub.secrets.cookieKeys) {
    const unsigned = signature.unsign(raw, key)
    if (unsigned === false) continue
    try {
      const payload = JSON.parse(Buffer.from(unsigned, 'base64url').toString('utf8')) as FlowCookie
      if (typeof payload.exp !== 'number' || payload.exp < hub.now()) return undefined
      return { flow: payload.flow, next: safeNextUrl(payload.next, HOME_PATH), exp: payload.exp }
    } catch {
      return undefined
    }
  }
  return undefined
}
