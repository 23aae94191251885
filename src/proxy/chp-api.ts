/**
 * configurable-http-proxy's REST API, so JupyterHub (or any CHP client) can
 * drive monohub's route table: `GET/POST/DELETE /api/routes[/<path>]`.
 *
 * Behaviour follows CHP 5.3 (status codes, empty bodies on 201/204/403,
 * Content-Type not checked, `inactive_since`), with these deliberate
 * differences, each stricter or clearer:
 * - errors are JSON `{"status": N, "message": "…"}` (CHP answers plain text);
 * - the token is checked before a POST body is read (CHP parses first), and
 *   compared in constant time;
 * - a target that is not an http(s) URL is refused with 400 (CHP stores it);
 * - a body over `maxBodyBytes` is refused with 413 (CHP buffers any size);
 * - malformed percent-encoding in the path gets 400 (CHP never answers);
 * - `DELETE /api/routes` deletes the "/" route, as POST creates it (CHP hangs);
 * - 405 carries an `Allow` header;
 * - 201/204 are sent only after the change is durable in the store.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { RouteData, Route, Routes } from './route-store.ts'
import { BodyAbortedError, parseJsonObject, readBody } from './chp-api-body.ts'
import { routeJson, streamRouteTable } from './chp-api-json.ts'

export interface ChpApiDeps {
  routes: Routes
  /** The shared secret (`CONFIGPROXY_AUTH_TOKEN`); undefined only when the operator chose --no-auth. */
  authToken: string | undefined
  log: Logger
  metrics?: { apiCall(method: string, status: number): void }
  /** Largest POST body accepted (default 1 MiB). */
  maxBodyBytes?: number
}

const ROUTES_PREFIX = '/api/routes'
const ALLOWED_METHODS = 'GET, POST, DELETE'
const JSON_TYPE = { 'Content-Type': 'application/json' } as const

/** Everything the handlers need for one request. */
interface Call {
  req: IncomingMessage
  res: ServerResponse
  method: string
  /** The route path as sent (still percent-encoded); Routes normalises it. */
  path: string
  query: string
}

/** An error with the HTTP status a client should see (RouteTargetError, BadPathError, BodyError…). */
function clientStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/**
 * Path characters the WHATWG URL parser leaves exactly as they are: no dot
 * (no dot segments), no "%" (%2e is a dot too), no backslash, nothing it
 * percent-encodes, and not "//" first (which it would take for a host).
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-_~!$&'()*+,;=:@/]*$/

/** Splits request-target into the API path (dot segments resolved, as CHP's URL parsing does) and query. */
function splitUrl(url: string): { pathname: string; query: string } | undefined {
  const q = url.indexOf('?')
  const raw = q === -1 ? url : url.slice(0, q)
  const query = q === -1 ? '' : url.slice(q + 1)
  // The usual "/api/routes/user/name": the parser would return it unchanged.
  if (PLAIN_PATH.test(raw)) return { pathname: raw, query }
  try {
    // A base keeps "//x" a path, not a host; absolute-form targets parse as they are.
    return { pathname: new URL(raw.startsWith('/') ? 'http://api' + raw : raw).pathname, query }
  } catch {
    return undefined
  }
}

export function createChpApi(deps: ChpApiDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { routes, log, metrics } = deps
  const maxBodyBytes = deps.maxBodyBytes ?? 1024 * 1024
  const tokenDigest = deps.authToken === undefined ? undefined : digest(deps.authToken)

  function count(call: Call, status: number): void {
    metrics?.apiCall(call.method, status)
  }

  function sendEmpty(call: Call, status: 201 | 204): void {
    count(call, status)
    call.res.writeHead(status)
    call.res.end()
  }

  function sendJson(call: Call, status: number, json: string): void {
    count(call, status)
    call.res.writeHead(status, { ...JSON_TYPE, 'Content-Length': Buffer.byteLength(json) })
    call.res.end(json)
  }

  /** Answers an error as JSON and logs it — the one place errors are logged. */
  function fail(call: Call, status: number, message: string, err?: unknown, headers?: Record<string, string>): void {
    const fields = { method: call.method, path: call.path, status, remote: call.req.socket.remoteAddress }
    if (status >= 500) log.error({ ...fields, err }, `CHP API: ${message}`)
    else log.warn(fields, `CHP API: ${message}`)
    if (call.res.headersSent) {
      call.res.destroy()
      return
    }
    count(call, status)
    const body = JSON.stringify({ status, message })
    call.res.writeHead(status, { ...JSON_TYPE, 'Content-Length': Buffer.byteLength(body), ...headers })
    call.res.end(body)
  }

  function authorized(req: IncomingMessage): boolean {
    if (tokenDigest === undefined) return true
    const match = /^token\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')
    return match !== null && timingSafeEqual(digest(match[1]!), tokenDigest)
  }

  function listRoutes(call: Call): void {
    const params = new URLSearchParams(call.query)
    // CHP reads the camelCase name first and falls back to the old snake_case one.
    const since = params.get('inactiveSince') || params.get('inactive_since')
    let cutoff = Infinity
    if (since) {
      cutoff = Date.parse(since)
      if (!Number.isFinite(cutoff)) {
        fail(call, 400, `inactive_since '${since}' is not a date; use ISO 8601, e.g. 2024-05-01T12:00:00Z`)
        return
      }
    }
    // A snapshot, so the listing is consistent even while it streams out over several turns.
    const snapshot: Route[] = []
    for (const [, route] of routes.table.entries()) {
      if (route.record.lastActivity < cutoff) snapshot.push(route)
    }
    count(call, 200)
    call.res.writeHead(200, JSON_TYPE)
    streamRouteTable(call.res, snapshot)
    log.debug({ routes: snapshot.length }, 'CHP API: listed routes')
  }

  function getRoute(call: Call): void {
    const route = routes.get(call.path)
    if (route === undefined) fail(call, 404, `no route at '${call.path}'`)
    else sendJson(call, 200, routeJson(route))
  }

  async function postRoute(call: Call): Promise<void> {
    const data = parseJsonObject(await readBody(call.req, maxBodyBytes))
    if (typeof data.target !== 'string') {
      const got = data.target === undefined ? 'no target' : `target ${JSON.stringify(data.target)}`
      fail(call, 400, `route data must have 'target' as a string URL, e.g. {"target": "http://127.0.0.1:8888"}; got ${got}`)
      return
    }
    const path = call.path === '' ? '/' : call.path
    await routes.set(path, data as RouteData)
    log.info({ path, target: data.target }, 'CHP API: route added')
    sendEmpty(call, 201)
  }

  async function deleteRoute(call: Call): Promise<void> {
    const path = call.path === '' ? '/' : call.path
    if (await routes.delete(path)) {
      log.info({ path }, 'CHP API: route deleted')
      sendEmpty(call, 204)
    } else {
      fail(call, 404, `no route at '${path}' to delete`)
    }
  }

  async function handle(call: Call): Promise<void> {
    switch (call.method) {
      case 'GET':
        if (call.path === '' || call.path === '/') listRoutes(call)
        else getRoute(call)
        return
      case 'POST':
        return postRoute(call)
      case 'DELETE':
        return deleteRoute(call)
    }
  }

  function onError(call: Call, err: unknown): void {
    if (err instanceof BodyAbortedError) {
      log.debug({ method: call.method, path: call.path }, `CHP API: ${err.message}`)
      call.res.destroy()
      return
    }
    const status = clientStatus(err)
    if (status === 413) {
      // Do not read the rest of an oversized upload: close once answered.
      fail(call, 413, (err as Error).message, undefined, { Connection: 'close' })
    } else if (status !== undefined) {
      fail(call, status, (err as Error).message)
    } else {
      const what = call.method === 'GET' ? 'reading' : 'saving the change to'
      fail(
        call,
        500,
        `${what} route '${call.path || '/'}' failed: ${(err as Error | null)?.message ?? String(err)}` +
          ' — the route store could not complete the change; check that the data dir is writable and has space, then retry',
        err,
      )
    }
  }

  return (req, res) => {
    const method = req.method ?? 'GET'
    const url = splitUrl(req.url ?? '/')
    const call: Call = { req, res, method, path: '', query: url?.query ?? '' }
    const pathname = url?.pathname
    if (pathname === undefined || !pathname.startsWith(ROUTES_PREFIX) ||
        (pathname.length > ROUTES_PREFIX.length && pathname[ROUTES_PREFIX.length] !== '/')) {
      call.path = pathname ?? req.url ?? ''
      fail(call, 404, `no API endpoint at '${call.path}'; the API is /api/routes[/<path>]`)
      return
    }
    call.path = pathname.slice(ROUTES_PREFIX.length)
    if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') {
      fail(call, 405, `method ${method} is not supported on /api/routes; use ${ALLOWED_METHODS}`, undefined, {
        Allow: ALLOWED_METHODS,
      })
      return
    }
    if (!authorized(req)) {
      fail(call, 403, "missing or wrong API token; send 'Authorization: token <CONFIGPROXY_AUTH_TOKEN>'")
      return
    }
    handle(call).catch((err: unknown) => onError(call, err))
  }
}
