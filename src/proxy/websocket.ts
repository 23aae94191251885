/**
 * WebSocket forwarding through http-proxy-3, with keep-alive agents (without
 * one it forces `Connection: close` upstream). Activity is recorded for
 * frames in BOTH directions (configurable-http-proxy misses server→client
 * frames, so a notebook that only streams output looked idle to the culler).
 * Open connections are counted and all destroyed on close().
 *
 * http-proxy-3 checks the request, adds X-Forwarded-* and builds the upstream
 * request (its `setupOutgoing`); its last pass, which sends the request and
 * pipes the sockets, is replaced by `streamUpgrade` below. Measured with 3,000
 * idle sockets, its pass kept ~12 KB of closures, pipe state and request
 * objects per connection; the replacement keeps one Connection object and
 * module-level listeners (see websocket-join.ts).
 */
import http from 'node:http'
import https from 'node:https'
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { SecureContextOptions } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { createProxyServer } from 'http-proxy-3'
import { setupOutgoing, type Outgoing } from 'http-proxy-3/dist/lib/http-proxy/common.js'
import type { NormalizedServerOptions } from 'http-proxy-3/dist/lib/http-proxy/index.js'
import type { ProxyOptions } from './options.ts'
import type { Route, Routes } from './route-store.ts'
import type { ProxyMetrics } from '../metrics/proxy-metrics.ts'
import { writeSocketError } from './error-pages.ts'
import { forwardPathFor } from './forward-path.ts'
import { withoutCookies } from './forwarded-headers.ts'
import { upstreamUnreachable, type UnreachableHook } from './upstream-unreachable.ts'
import { joinSockets, socketErrorListener, tuneSocket, type JoinedConnection } from './websocket-join.ts'

export interface WebSocketProxy {
  /** Forwards an upgrade request to `route`; `url` is the normalised request URL. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route, url: string): void
  /** WebSockets currently open (upgraded and not yet closed). */
  openCount(): number
  /** Destroys every proxied WebSocket, upgraded or not yet. */
  close(): Promise<void>
}

/** Key, certificate and CAs presented to and checked against https targets. */
export type UpstreamTls = SecureContextOptions & { rejectUnauthorized?: boolean }

export interface WebSocketProxyDeps {
  options: ProxyOptions
  routes: Routes
  log: Logger
  metrics: ProxyMetrics | undefined
  /** For https targets (CHP's --client-ssl-*): a target that requires a client certificate gets it. */
  upstreamTls?: UpstreamTls
  /** See ProxyDeps.onUpstreamUnreachable (its sentence is not shown: a refused upgrade has no page). */
  onUpstreamUnreachable?: UnreachableHook
}

/** State shared by every connection of one WebSocketProxy. */
interface Shared {
  routes: Routes
  log: Logger
  metrics: ProxyMetrics | undefined
  connections: Set<Connection>
  open: number
  onUpstreamUnreachable: UnreachableHook | undefined
}

/** One proxied WebSocket, from the upgrade request until the client socket closes. */
class Connection implements JoinedConnection {
  readonly route: Route
  readonly client: Socket
  readonly shared: Shared
  /** The upstream request until it upgrades, answers or fails. */
  request: ClientRequest | undefined = undefined
  upstream: Socket | undefined = undefined
  upgraded = false
  finished = false

  constructor(route: Route, client: Socket, shared: Shared) {
    this.route = route
    this.client = client
    this.shared = shared
  }

  activity(): void {
    this.shared.routes.touch(this.route)
  }

  closed(socket: Socket): void {
    if (socket === this.client) this.finish()
  }

  /** The client socket is gone: forget the connection, stop a handshake still running. */
  finish(): void {
    if (this.finished) return
    this.finished = true
    const shared = this.shared
    shared.connections.delete(this)
    this.request?.destroy()
    this.request = undefined
    if (this.upgraded) {
      shared.open--
      shared.metrics?.webSocket(-1)
    }
  }
}

const kConnection = Symbol('monohub.wsConnection')
type WithConnection<T> = T & { [kConnection]?: Connection }

function onClientCloseBeforeUpgrade(this: WithConnection<Socket>): void {
  this[kConnection]?.finish()
}

/** Upstream answered 101: send the client its 101 and join the sockets. */
function onUpgrade(this: WithConnection<ClientRequest>, res: IncomingMessage, upstream: Socket, upstreamHead: Buffer): void {
  const conn = this[kConnection]!
  conn.request = undefined
  const client = conn.client
  if (conn.finished || client.destroyed) {
    upstream.destroy()
    return
  }
  tuneSocket(upstream)
  if (upstreamHead.length > 0) upstream.unshift(upstreamHead)
  client.write(responseHead('HTTP/1.1 101 Switching Protocols', res.rawHeaders, false))
  conn.upstream = upstream
  conn.upgraded = true
  const shared = conn.shared
  shared.open++
  shared.metrics?.webSocket(1)
  shared.metrics?.request(101)
  shared.routes.touch(conn.route)
  // Assigned, never deleted, and the close listener left in place (it does
  // nothing now): `delete` — also inside EventEmitter when the last listener
  // of an event goes — turns an object into a slow dictionary, ~1–3 KB more
  // per idle socket.
  ;(client as WithConnection<Socket>)[kConnection] = undefined
  joinSockets(client, upstream, conn)
  // http-proxy-3's own error listener is a closure holding the upgrade request
  // (headers and all) for as long as the socket lives; the joined socket's
  // listener does the same job (destroy on error), so it is the one kept.
  for (const listener of client.rawListeners('error')) {
    if (listener !== socketErrorListener) client.off('error', listener as (err: Error) => void)
  }
}

/** Upstream answered without upgrading (a 404, a login redirect …): relay that answer, then close. */
function onPlainResponse(this: WithConnection<ClientRequest>, res: IncomingMessage): void {
  const conn = this[kConnection]!
  conn.request = undefined
  conn.shared.metrics?.request(res.statusCode ?? 502)
  const client = conn.client
  if (client.destroyed) {
    res.resume()
    return
  }
  // The body is sent as Node decoded it, delimited by closing the connection.
  client.write(responseHead(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`, res.rawHeaders, true))
  res.pipe(client)
}

function onRequestError(this: WithConnection<ClientRequest>, err: Error & { code?: string }): void {
  const conn = this[kConnection]!
  conn.request = undefined
  const { log, metrics } = conn.shared
  if (conn.finished) return
  if (!conn.upgraded) {
    log.warn({ route: conn.route.prefix, target: conn.route.origin, code: err.code }, 'WebSocket upstream not reachable')
    upstreamUnreachable(conn.shared, conn.route)
    metrics?.request(503)
    writeSocketError(conn.client, 503)
    return
  }
  log.debug({ code: err.code, err: err.code === undefined ? err : undefined }, 'WebSocket connection failed')
  conn.client.destroy()
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer'])

/** A status line and headers from an upstream's raw header list (names as the upstream spelled them). */
function responseHead(statusLine: string, rawHeaders: string[], plain: boolean): string {
  let head = statusLine + '\r\n'
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (plain && HOP_BY_HOP.has(name.toLowerCase())) continue
    head += name + ': ' + rawHeaders[i + 1]! + '\r\n'
  }
  return head + (plain ? 'Connection: close\r\n\r\n' : '\r\n')
}

/**
 * Replaces http-proxy-3's `stream` pass: sends the upgrade request it has
 * prepared and hands the outcome to the listeners above. Returns true so no
 * later pass runs.
 */
function streamUpgrade(req: WithConnection<IncomingMessage>, socket: Socket, options: NormalizedServerOptions, head: Buffer | undefined): boolean {
  const conn = req[kConnection]
  req[kConnection] = undefined
  if (conn === undefined || conn.finished) {
    socket.destroy()
    return true
  }
  tuneSocket(socket)
  if (head !== undefined && head.length > 0) socket.unshift(head)
  const outgoing = setupOutgoing({} as Outgoing, options, req)
  const request: WithConnection<ClientRequest> = (conn.route.protocol === 'https:' ? https : http).request(outgoing as http.RequestOptions)
  request[kConnection] = conn
  conn.request = request
  request.on('error', onRequestError)
  request.on('upgrade', onUpgrade)
  request.on('response', onPlainResponse)
  request.end()
  return true
}

export function createWebSocketProxy(deps: WebSocketProxyDeps): WebSocketProxy {
  const { options, routes, log, metrics } = deps
  const maxSockets = options.maxConnectionsPerOrigin
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets })
  // Agent options win over the request's (whose key/cert/ca http-proxy-3 sets to undefined).
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets, ...deps.upstreamTls })
  const stripped = options.stripRequestHeaders.map((name) => name.toLowerCase())
  const strippedCookies = options.stripCookies
  const proxy = createProxyServer({ ws: true, xfwd: options.xForward, prependPath: false, headers: options.customHeaders })
  proxy.before('ws', 'stream', streamUpgrade)
  const shared: Shared = { routes, log, metrics, connections: new Set(), open: 0, onUpstreamUnreachable: deps.onUpstreamUnreachable }

  // Errors http-proxy-3 reports itself (a client socket error during its passes, a bad target).
  proxy.on('error', (err: Error & { code?: string }, _req: IncomingMessage, target: unknown) => {
    log.debug({ code: err.code, err: err.code === undefined ? err : undefined }, 'WebSocket connection failed')
    ;(target as Duplex | undefined)?.destroy?.()
  })

  return {
    upgrade(req, socket, head, route, url) {
      const client = socket as WithConnection<Socket>
      const conn = new Connection(route, client, shared)
      shared.connections.add(conn)
      client[kConnection] = conn
      client.once('close', onClientCloseBeforeUpgrade)
      ;(req as WithConnection<IncomingMessage>)[kConnection] = conn
      req.url = forwardPathFor(route, url, options)
      for (const name of stripped) delete req.headers[name]
      if (strippedCookies.length > 0 && req.headers.cookie !== undefined) {
        const kept = withoutCookies(req.headers.cookie, strippedCookies)
        if (kept === undefined) delete req.headers.cookie
        else req.headers.cookie = kept
      }
      if (route.authorization !== undefined) req.headers.authorization = route.authorization
      proxy.ws(req, socket, head, {
        target: route.origin,
        agent: route.protocol === 'https:' ? httpsAgent : httpAgent,
      })
    },
    openCount() {
      return shared.open
    },
    async close() {
      for (const conn of shared.connections) {
        conn.client.destroy()
        conn.upstream?.destroy()
        conn.request?.destroy()
      }
      shared.connections.clear()
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}
