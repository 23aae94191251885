/**
 * A request for /user/<name>/… when that server has no route (not running,
 * still starting, culled, died): the owner — or an admin — is sent to the
 * spawn page with `next` = the original path, so a culled server starts
 * again when its user comes back; someone else gets 403; a browser without
 * a session goes to the login page first (which then leads back here). API
 * clients get JSON (424 "not running", as JupyterHub answers, 401, 403).
 *
 * Runs before the proxy for /user/ paths only; when a user route matches it
 * returns false at once and the proxy (and hub-authorize.ts) take over.
 *
 * A route whose server the proxy cannot reach (killed from outside) is
 * checked at once (createUnreachableServerHook): when it is dead its route
 * goes, so the next request comes here instead of answering 503 until the
 * next poll round.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HubContext } from '../hub/context.ts'
import { requestRouteKey } from '../proxy/route-path.ts'
import { needsNormalising, normaliseRequestUrl } from '../proxy/forward-path.ts'
import { SESSION_COOKIE_NAME } from '../auth/sessions.ts'
import { getCookie } from '../auth/cookie-header.ts'
import { hasScope } from '../auth/scopes.ts'
import { identifyRequest } from '../hub/identity.ts'
import { builtInPage } from '../proxy/error-pages.ts'
import type { Route } from '../proxy/route-store.ts'

export interface ServerAddress {
  user: string
  /** '' = the default server. */
  server: string
}

/**
 * Which server a /user/ path names: '/user/alice/lab/tree' is alice's named
 * server 'lab' only when `isNamed('alice', 'lab')` says such a server exists
 * (starting or known), else a path inside her default server. Undefined for
 * paths that name no user.
 */
export function serverOfPath(pathname: string, isNamed: (user: string, server: string) => boolean): ServerAddress | undefined {
  if (!pathname.startsWith('/user/')) return undefined
  const [rawUser, rawServer] = pathname.slice('/user/'.length).split('/', 2)
  if (rawUser === undefined || rawUser === '') return undefined
  let user: string
  let server = ''
  try {
    user = decodeURIComponent(rawUser)
    if (rawServer !== undefined && rawServer !== '') {
      const candidate = decodeURIComponent(rawServer)
      if (isNamed(user, candidate)) server = candidate
    }
  } catch {
    return undefined
  }
  return { user, server }
}

/** The spawn page for `address`, coming back to `next` (a local path) once the server is ready. */
export function spawnPageUrl(address: ServerAddress, next: string): string {
  const server = address.server === '' ? '' : `/${encodeURIComponent(address.server)}`
  return `/hub/spawn/${encodeURIComponent(address.user)}${server}?next=${encodeURIComponent(next)}`
}

/**
 * The proxy's onUpstreamUnreachable for the hub: a user server's route that
 * refused or reset a connection is polled now; the 503 page says where to
 * start it again. Other routes (services, manual ones) are left alone.
 */
export function createUnreachableServerHook(hub: HubContext): (route: Route) => string | undefined {
  return (route) => {
    const { user, server_name: server } = route.data
    if (route.data.jupyterhub !== true || typeof user !== 'string') return undefined
    const name = typeof server === 'string' ? server : ''
    hub.servers.pollOne(user, name).catch((err: unknown) => hub.log.warn({ err, user, server: name }, 'could not check an unreachable server'))
    const where = `/hub/spawn/${encodeURIComponent(user)}${name === '' ? '' : `/${encodeURIComponent(name)}`}`
    return `the server may have stopped; reload, or start it again at ${where}`
  }
}

function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept
  return accept !== undefined && accept.includes('text/html')
}

function sendJson(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify({ status, message }))
}

/** Returns true when it has answered `req` (no user route matched); false to let the proxy handle it. */
export function createMissingServerHandler(hub: HubContext): (req: IncomingMessage, res: ServerResponse) => boolean {
  // Running, starting, or stopped but known (a culled named server comes back through its own spawn page).
  const isNamed = (user: string, server: string): boolean => hub.servers.status(user, server, { includeStopped: true }) !== undefined

  return (req, res) => {
    let url = req.url ?? '/'
    if (needsNormalising(url)) url = normaliseRequestUrl(url)
    let key: string
    try {
      key = requestRouteKey(url, req.headers.host, false)
    } catch {
      return false // a bad path: the proxy answers 400
    }
    const route = hub.routes.match(key)?.value
    if (route !== undefined && typeof route.data.user === 'string') return false
    const pathname = url.split('?', 1)[0]!
    const address = serverOfPath(pathname, isNamed)
    if (address === undefined) return false
    const users = hub.store.state.users
    if (!Object.hasOwn(users, address.user)) return false // no such user: the proxy's 404

    let name: string | undefined
    let allowed = false
    const cookie = getCookie(req.headers.cookie, SESSION_COOKIE_NAME)
    const check = cookie === undefined ? undefined : hub.sessions.verifySession(cookie, hub.now(), (n) => (Object.hasOwn(users, n) ? users[n]!.sessionGeneration : undefined))
    if (check?.ok === true && Object.hasOwn(users, check.session.user) && users[check.session.user]!.approved) {
      name = check.session.user
      allowed = name === address.user || users[name]!.admin
    } else if (req.headers.authorization !== undefined) {
      const who = identifyRequest(hub, { headers: req.headers })
      if (who !== null) {
        name = who.name
        allowed = hasScope(who.scopes, 'access:servers', { user: address.user, server: `${address.user}/${address.server}` })
      }
    }

    const next = url.startsWith('/') && !url.startsWith('//') ? url : '/'
    if (name === undefined) {
      if (wantsHtml(req)) {
        res.writeHead(302, { location: `/hub/login?next=${encodeURIComponent(next)}`, 'cache-control': 'no-store', 'content-length': 0 })
        res.end()
      } else {
        sendJson(res, 401, `${pathname} needs authentication: send the hub session cookie or an API token (Authorization: token <t>)`, { 'www-authenticate': 'token' })
      }
      return true
    }
    if (!allowed) {
      const message = `This server belongs to '${address.user}', and you are not allowed to use it.`
      if (wantsHtml(req)) {
        res.writeHead(403, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        res.end(builtInPage(403, pathname, message))
      } else {
        sendJson(res, 403, message)
      }
      return true
    }
    const spawn = spawnPageUrl(address, next)
    if (wantsHtml(req)) {
      res.writeHead(302, { location: spawn, 'cache-control': 'no-store', 'content-length': 0 })
      res.end()
    } else {
      const which = address.server === '' ? `${address.user}'s server` : `${address.user}'s server '${address.server}'`
      const api = address.server === '' ? `/hub/api/users/${address.user}/server` : `/hub/api/users/${address.user}/servers/${address.server}`
      sendJson(res, 424, `${which} is not running — start it at ${spawn} or with POST ${api}`)
    }
    return true
  }
}
