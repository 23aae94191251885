/**
 * What every page handler needs from a request: who is logged in (session
 * cookie, re-issued when due), CSRF tokens bound to the session or to the
 * pre-login cookie, and a refusal for a form without a valid `_xsrf`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import type { UserRecord } from '../../auth/records.ts'
import { SESSION_COOKIE_NAME, type Session } from '../../auth/sessions.ts'
import { getCookie } from '../../auth/cookie-header.ts'
import {
  CSRF_FORM_FIELD, PRE_LOGIN_COOKIE_NAME, createCsrfToken, newPreLoginId, preLoginBinding, preLoginCookieHeader, sessionBinding, verifyCsrfToken,
} from '../../auth/csrf.ts'
import { PageError } from './page-error.ts'

export interface PageUser {
  user: UserRecord
  session: Session
}

function userRecord(hub: HubContext, name: string): UserRecord | undefined {
  const users = hub.store.state.users
  return Object.hasOwn(users, name) ? users[name] : undefined
}

/** Adds a Set-Cookie value without dropping ones already set on this reply. */
export function addCookie(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('set-cookie')
  const list = current === undefined ? [] : Array.isArray(current) ? current.map(String) : [String(current)]
  reply.header('set-cookie', [...list, value])
}

const seen = new WeakMap<FastifyRequest, PageUser | null>()

/** The logged-in user of this request, or null. Re-issues the cookie when it is due for a refresh. */
export function pageUser(hub: HubContext, req: FastifyRequest, reply: FastifyReply): PageUser | null {
  if (seen.has(req)) return seen.get(req) ?? null
  const now = hub.now()
  const check = hub.sessions.verifySession(getCookie(req.headers.cookie, SESSION_COOKIE_NAME), now, (name) => userRecord(hub, name)?.sessionGeneration)
  let found: PageUser | null = null
  if (check.ok) {
    const user = userRecord(hub, check.session.user)
    if (user !== undefined && user.approved) {
      found = { user, session: check.session }
      if (check.refresh) {
        const fresh = hub.sessions.refreshSession(check.session, now)
        addCookie(reply, hub.sessions.cookieHeader(fresh.value, fresh.session, now, hub.settings.secureCookies))
      }
    }
  }
  seen.set(req, found)
  return found
}

/** The logged-in user, or a redirect to the login page (returns null; the reply is sent). */
export function requireUser(hub: HubContext, req: FastifyRequest, reply: FastifyReply): PageUser | null {
  const found = pageUser(hub, req, reply)
  if (found === null) {
    void reply.redirect(`/hub/login?next=${encodeURIComponent(req.url)}`, 302)
    return null
  }
  return found
}

/** Logged in as an admin, or: redirect to login (anonymous), PageError 403 (others). */
export function requireAdmin(hub: HubContext, req: FastifyRequest, reply: FastifyReply): PageUser | null {
  const found = requireUser(hub, req, reply)
  if (found !== null && !found.user.admin) {
    throw new PageError(403, 'NOT_ADMIN', 'This page is for administrators.', `You are logged in as '${found.user.name}', which is not an administrator. Ask an administrator if you need access.`)
  }
  return found
}

/** A CSRF token for forms of a logged-in page. */
export function sessionXsrf(hub: HubContext, user: PageUser): string {
  return createCsrfToken(hub.secrets.csrfKey, sessionBinding(user.session.sid))
}

/** A CSRF token for the login/signup forms, setting the pre-login cookie when the browser has none. */
export function preLoginXsrf(hub: HubContext, req: FastifyRequest, reply: FastifyReply): string {
  let id = getCookie(req.headers.cookie, PRE_LOGIN_COOKIE_NAME)
  if (id === undefined || id.length < 16 || id.length > 64) {
    id = newPreLoginId()
    addCookie(reply, preLoginCookieHeader(id, hub.settings.secureCookies))
  }
  return createCsrfToken(hub.secrets.csrfKey, preLoginBinding(id))
}

export type Form = Readonly<Record<string, string>>

/** The posted form (urlencoded), or an empty one. */
export function formOf(req: FastifyRequest): Form {
  const body = req.body
  return typeof body === 'object' && body !== null ? (body as Form) : {}
}

const CSRF_ADVICE = 'Go back, reload the page and submit the form again. If it keeps happening, make sure your browser accepts cookies from this site.'

/** Refuses (403) a logged-in form post without a valid `_xsrf`. */
export function checkSessionForm(hub: HubContext, user: PageUser, form: Form): void {
  if (!verifyCsrfToken(hub.secrets.csrfKey, sessionBinding(user.session.sid), form[CSRF_FORM_FIELD])) {
    throw new PageError(403, 'CSRF', 'The form could not be verified (missing or wrong _xsrf token).', CSRF_ADVICE)
  }
}

/** Refuses (403) a login/signup post without a valid `_xsrf` for this browser's pre-login cookie. */
export function checkPreLoginForm(hub: HubContext, req: FastifyRequest, form: Form): void {
  const id = getCookie(req.headers.cookie, PRE_LOGIN_COOKIE_NAME)
  if (id === undefined || !verifyCsrfToken(hub.secrets.csrfKey, preLoginBinding(id), form[CSRF_FORM_FIELD])) {
    throw new PageError(403, 'CSRF', 'The form could not be verified (missing or wrong _xsrf token).', CSRF_ADVICE)
  }
}

/** Issues a session for `user` on this reply. */
export function startSession(hub: HubContext, reply: FastifyReply, user: UserRecord): Session {
  const now = hub.now()
  const issued = hub.sessions.issueSession(user.name, user.sessionGeneration, now)
  addCookie(reply, hub.sessions.cookieHeader(issued.value, issued.session, now, hub.settings.secureCookies))
  return issued.session
}
