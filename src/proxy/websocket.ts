/**
 * WebSocket forwarding through http-proxy-3, with keep-alive agents (without
 * one it forces `Connection: close` upstream). Activity is recorded for
 * frames in BOTH directions (configurable-http-proxy misses server→client
 * frames, so a notebook that only streams output looked idle to the culler).
 * Open connections are counted and all destroyed on close().
 */
import http from 'node:http'
import https from 'node:https'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { createProxyServer } from 'http-proxy-3'
import type { ProxyOptions } from './options.ts'
import type { Route, Routes } from './route-store.ts'
import type { ProxyMetrics } from '../metrics/proxy-metrics.ts'
import { writeSocketError } from './error-pages.ts'
import { forwardPathFor } from './forward-path.ts'

export interface WebSocketProxy {
  /** Forwards an upgrade request to `route`; `url` is the normalised request URL. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: Route, url: string): void
  /** WebSockets currently open (upgraded and not yet closed). */
  openCount(): number
  /** Destroys every proxied WebSocket, upgraded or not yet. */
  close(): Promise<void>
}

export interface WebSocketProxyDeps {
  options: ProxyOptions
  routes: Routes
  log: Logger
  metrics: ProxyMetrics | undefined
}

interface Connection {
  route: Route
  socket: Duplex
  upstream: Socket | undefined
  upgraded: boolean
}

export function createWebSocketProxy(deps: WebSocketProxyDeps): WebSocketProxy {
  const { options, routes, log, metrics } = deps
  const maxSockets = options.maxConnectionsPerOrigin
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets })
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets })
  const stripped = options.stripRequestHeaders.map((name) => name.toLowerCase())
  const proxy = createProxyServer({ ws: true, xfwd: options.xForward, prependPath: false, headers: options.customHeaders })
  const connections = new Map<IncomingMessage, Connection>()
  let open = 0

  proxy.on('proxyReqWs', (proxyReq, req) => {
    const conn = connections.get(req)
    if (conn === undefined) return
    // Registered before http-proxy-3's own 'upgrade' listener, which pipes the
    // sockets in the same tick: our 'data' listeners see every chunk.
    proxyReq.once('upgrade', (_res: IncomingMessage, upstream: Socket) => {
      conn.upstream = upstream
      conn.upgraded = true
      open++
      metrics?.webSocket(1)
      metrics?.request(101)
      routes.touch(conn.route)
      const touch = (): void => routes.touch(conn.route)
      conn.socket.on('data', touch)
      upstream.on('data', touch)
    })
  })

  proxy.on('error', (err: Error & { code?: string }, req: IncomingMessage, target: unknown) => {
    const conn = connections.get(req)
    const socket = (conn?.socket ?? target) as Duplex
    if (conn !== undefined && !conn.upgraded) {
      log.warn({ route: conn.route.prefix, target: conn.route.origin, code: err.code }, 'WebSocket upstream not reachable')
      metrics?.request(503)
      writeSocketError(socket, 503)
      return
    }
    log.debug({ code: err.code, err: err.code === undefined ? err : undefined }, 'WebSocket connection failed')
    socket.destroy()
  })

  return {
    upgrade(req, socket, head, route, url) {
      const conn: Connection = { route, socket, upstream: undefined, upgraded: false }
      connections.set(req, conn)
      socket.once('close', () => {
        connections.delete(req)
        conn.upstream?.destroy()
        if (conn.upgraded) {
          open--
          metrics?.webSocket(-1)
        }
      })
      req.url = forwardPathFor(route, url, options)
      for (const name of stripped) delete req.headers[name]
      proxy.ws(req, socket, head, {
        target: route.origin,
        agent: route.protocol === 'https:' ? httpsAgent : httpAgent,
      })
    },
    openCount() {
      return open
    },
    async close() {
      for (const conn of connections.values()) {
        conn.socket.destroy()
        conn.upstream?.destroy()
      }
      connections.clear()
      httpAgent.destroy()
      httpsAgent.destroy()
    },
  }
}
