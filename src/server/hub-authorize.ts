/**
 * The proxy's in-process authorization for the hub (createProxy's
 * `authorize` hook). A route whose data names a `user` (a user server,
 * /user/<name>/…) needs, on EVERY request:
 *   - the session cookie of that user or of an admin, or
 *   - an API token with `access:servers` on that user / server.
 * Otherwise: a browser (Accept: text/html) without a session is sent to
 * /hub/login?next=<original path>; an API client gets 401 JSON; someone
 * logged in as another user gets a 403 page. Routes without `user` pass.
 *
 * Hot path: the session check is the Sessions cache (a Map lookup) plus the
 * expiry and generation checks; nothing is allocated for an owner's request.
 *
 * Session refresh: someone who works only in their server never loads a hub
 * page, so a cookie due for a refresh is re-issued here, on the proxied
 * response (Set-Cookie added before forwarding). Node's writeHead lets an
 * upstream's own Set-Cookie replace headers set earlier, so on such a
 * response ours is dropped — the cookie stays due and the next response
 * carries it. (Exact every time would need forward.ts to keep Set-Cookie
 * values already on the response when it writes the upstream's headers.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { HubContext } from '../hub/context.ts'
import type { Route } from '../proxy/route-store.ts'
import type { UserRecord } from '../auth/records.ts'
import { SESSION_COOKIE_NAME, type Session } from '../auth/sessions.ts'
import { getCookie } from '../auth/cookie-header.ts'
import { hasScope } from '../auth/scopes.ts'
import { identifyRequest } from '../hub/identity.ts'
import { html } from '../hub/views/html.ts'
import { layout } from '../hub/views/layout.ts'

export type Verdict = 'allow' | 'login' | 'unauthenticated' | 'forbidden'

export interface HubAuthorizer {
  /** The proxy's authorize hook: answers refusals itself and returns false for them. */
  authorize(req: IncomingMessage, res: ServerResponse, route: Route): boolean
  /** For WebSocket upgrades: writes a refusal on the socket and returns false. */
  authorizeUpgrade(req: IncomingMessage, socket: Duplex, route: Route): boolean
  /** The decision alone (tests, metrics). */
  decide(req: IncomingMessage, route: Route): Verdict
}

export function createHubAuthorizer(hub: HubContext): HubAuthorizer {
  const userOf = (name: string): UserRecord | undefined => {
    const users = hub.store.state.users
    return Object.hasOwn(users, name) ? users[name] : undefined
  }
  const generationOf = (name: string): number | undefined => userOf(name)?.sessionGeneration
  // The session `decide` just allowed and found due for a refresh (set and read synchronously).
  let due: Session | undefined

  function decide(req: IncomingMessage, route: Route): Verdict {
    due = undefined
    const owner = route.data.user
    if (typeof owner !== 'string') return 'allow'
    let known = false
    const cookie = getCookie(req.headers.cookie, SESSION_COOKIE_NAME)
    if (cookie !== undefined) {
      const check = hub.sessions.verifySession(cookie, hub.now(), generationOf)
      if (check.ok) {
        const name = check.session.user
        if (name === owner) {
          if (check.refresh) due = check.session
          return 'allow'
        }
        const user = userOf(name)
        if (user !== undefined && user.approved) {
          if (user.admin) {
            if (check.refresh) due = check.session
            return 'allow'
          }
          known = true
        }
      }
    }
    if (req.headers.authorization !== undefined) {
      const identity = identifyRequest(hub, { headers: req.headers })
      if (identity !== null) {
        const server = typeof route.data.server_name === 'string' ? `${owner}/${route.data.server_name}` : `${owner}/`
        if (hasScope(identity.scopes, 'access:servers', { user: owner, server })) return 'allow'
        known = true
      }
    }
    if (known) return 'forbidden'
    return wantsHtml(req) ? 'login' : 'unauthenticated'
  }

  return {
    decide,

    authorize(req, res, route) {
      const verdict = decide(req, route)
      if (verdict === 'allow') {
        if (due !== undefined) {
          const now = hub.now()
          const fresh = hub.sessions.refreshSession(due, now)
          res.appendHeader('set-cookie', hub.sessions.cookieHeader(fresh.value, fresh.session, now, hub.settings.secureCookies))
        }
        return true
      }
      refuse(req, res, verdict, route)
      return false
    },

    authorizeUpgrade(req, socket, route) {
      const verdict = decide(req, route)
      if (verdict === 'allow') return true
      const status = verdict === 'forbidden' ? 403 : 401
      const body = JSON.stringify({ status, message: verdict === 'forbidden' ? 'this server belongs to another user' : 'log in to the hub first (session cookie or API token)' })
      socket.end(`HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Unauthorized'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
      return false
    },
  }
}

function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept
  return accept !== undefined && accept.includes('text/html')
}

/** A local path to come back to after login: the original request path and query (always starts with one "/"). */
function returnPath(req: IncomingMessage): string {
  const url = req.url ?? '/'
  return url.startsWith('/') && !url.startsWith('//') ? url : '/'
}

function refuse(req: IncomingMessage, res: ServerResponse, verdict: Exclude<Verdict, 'allow'>, route: Route): void {
  if (verdict === 'login') {
    res.writeHead(302, { location: `/hub/login?next=${encodeURIComponent(returnPath(req))}`, 'cache-control': 'no-store', 'content-length': 0 })
    res.end()
    return
  }
  if (verdict === 'unauthenticated') {
    const body = JSON.stringify({ status: 401, message: `${req.url?.split('?')[0] ?? '/'} needs authentication: send the hub session cookie or an API token (Authorization: token <t>) with access:servers for user '${String(route.data.user)}'` })
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'token', 'cache-control': 'no-store' })
    res.end(body)
    return
  }
  const message = `This server belongs to '${String(route.data.user)}', and you are not allowed to use it.`
  if (wantsHtml(req)) {
    res.writeHead(403, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    res.end(forbiddenPage(message))
  } else {
    res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify({ status: 403, message }))
  }
}

/** The hub's own 403 page (same look as its other pages): what happened and where to go. */
function forbiddenPage(message: string): string {
  const body = html`<div class="card">
<p class="status">403</p>
<h1>Not your server</h1>
<p>${message}</p>
<p class="muted">If you need access, ask its owner or an administrator. To use another account, log out first.</p>
<div class="actions"><a class="button" href="/hub/home">Go to your home page</a><a href="/hub/logout">Log out</a></div>
</div>`
  return layout({ title: 'Not your server', body }).text
}
