/**
 * The proxy's per-request path, top to bottom: health check → route key →
 * longest-prefix match → authorize (optional, the hub's hook) → forward
 * (HTTP through undici, WebSocket upgrades through http-proxy-3).
 *
 * The request URL is normalised the way configurable-http-proxy sees it
 * (WHATWG URL: dot segments resolved) before matching, so the route that is
 * matched is the route whose prefix the forwarded path carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { Agent } from 'undici'
import type { ProxyOptions } from './options.ts'
import type { Route, Routes } from './route-store.ts'
import type { ProxyMetrics } from '../metrics/proxy-metrics.ts'
import { BadPathError, requestRouteKey } from './route-path.ts'
import { needsNormalising, normaliseRequestUrl } from './forward-path.ts'
import { createErrorPages, writeSocketError } from './error-pages.ts'
import { createForwarder, createUpstreamAgent } from './forward.ts'
import { createWebSocketProxy, type UpstreamTls } from './websocket.ts'
import type { UnreachableHook } from './upstream-unreachable.ts'

export interface ProxyDeps {
  routes: Routes
  options: ProxyOptions
  log: Logger
  metrics?: ProxyMetrics
  /**
   * Called for a matched route before forwarding. Return false when it has
   * answered the request itself (redirect to login, 403 …); true to forward.
   */
  authorize?: (req: IncomingMessage, res: ServerResponse, route: Route) => boolean
  /**
   * The same check for WebSocket upgrades: returns false when it has refused
   * the upgrade itself (written an HTTP error on the socket and ended it).
   */
  authorizeUpgrade?: (req: IncomingMessage, socket: Duplex, route: Route) => boolean
  /**
   * Called (errors only, never on the hot path) when a route's upstream could
   * not be reached before any response: refused, reset, unreachable — the hub
   * checks that server at once instead of at its next poll. May return a
   * sentence for the 503 page (e.g. where to restart the server).
   */
  onUpstreamUnreachable?: UnreachableHook
  /** An undici Agent to share; by default the proxy builds its own from options. */
  agent?: Agent
  /** TLS credentials for WebSocket upgrades to https targets (CHP's --client-ssl-*; `agent` carries them for HTTP). */
  upstreamTls?: UpstreamTls
}

export interface Proxy {
  handleRequest(req: IncomingMessage, res: ServerResponse): void
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  openWebSockets(): number
  /** Aborts upstream requests, destroys proxied WebSockets, closes upstream connections. */
  close(): Promise<void>
}

const HEALTH_PATH = '/_chp_healthz'
const HEALTH_BODY = JSON.stringify({ status: 'OK' })

export function createProxy(deps: ProxyDeps): Proxy {
  const { routes, options, log, metrics, authorize, authorizeUpgrade } = deps
  const agent = deps.agent ?? createUpstreamAgent(options)
  const errorPages = createErrorPages({ errorTarget: options.errorTarget, errorPath: options.errorPath, dispatcher: agent, log })
  const unreachable = deps.onUpstreamUnreachable === undefined ? {} : { onUpstreamUnreachable: deps.onUpstreamUnreachable }
  const forwarder = createForwarder({ options, routes, errorPages, log, metrics, agent, ...unreachable })
  const webSockets = createWebSocketProxy({ options, routes, log, metrics, ...unreachable, ...(deps.upstreamTls !== undefined && { upstreamTls: deps.upstreamTls }) })
  const hostRouting = options.hostRouting
  const timeout = options.timeout

  /** Answers an error the proxy itself decided on (not an upstream's). */
  function refuse(req: IncomingMessage, res: ServerResponse, status: number, detail?: string): void {
    metrics?.request(status)
    errorPages.send(req, res, status, detail)
  }

  /** The normalised URL and its route, or the status to refuse with. */
  function route(req: IncomingMessage): { url: string; route: Route } | { status: 400 | 404; detail: string | undefined } {
    let url = req.url ?? '/'
    if (needsNormalising(url)) url = normaliseRequestUrl(url)
    let key: string
    try {
      key = requestRouteKey(url, req.headers.host, hostRouting)
    } catch (err) {
      if (err instanceof BadPathError) return { status: 400, detail: err.message }
      throw err
    }
    const match = routes.match(key)
    if (match === undefined) return { status: 404, detail: undefined }
    return { url, route: match.value }
  }

  return {
    handleRequest(req, res) {
      if (req.url === HEALTH_PATH) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(HEALTH_BODY)
        return
      }
      // CHP's --timeout: how long the client's connection may stay idle.
      if (timeout > 0) req.socket.setTimeout(timeout)
      const found = route(req)
      if ('status' in found) {
        refuse(req, res, found.status, found.detail)
        return
      }
      if (authorize !== undefined && !authorize(req, res, found.route)) return
      forwarder.forward(req, res, found.route, found.url)
    },

    handleUpgrade(req, socket, head) {
      socket.on('error', onSocketError)
      const found = route(req)
      if ('status' in found) {
        metrics?.request(found.status)
        writeSocketError(socket, found.status)
        return
      }
      if (authorizeUpgrade !== undefined && !authorizeUpgrade(req, socket, found.route)) return
      webSockets.upgrade(req, socket, head, found.route, found.url)
    },

    openWebSockets() {
      return webSockets.openCount()
    },

    async close() {
      await webSockets.close()
      await forwarder.close()
      if (deps.agent === undefined) await agent.destroy()
    },
  }
}

/** A client socket error (reset, …) before or after upgrade: nothing to answer. */
function onSocketError(this: Duplex): void {
  this.destroy()
}
