/**
 * Test set-up for the proxy engine: a real http server running createProxy
 * over in-memory Routes, and real backend servers, all on 127.0.0.1 port 0,
 * closed at teardown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { pino, type Logger } from 'pino'
import { createProxy, type Proxy, type ProxyDeps } from '../../src/proxy/proxy-handler.ts'
import { defaultProxyOptions, type ProxyOptions } from '../../src/proxy/options.ts'
import { RouteTable } from '../../src/proxy/route-table.ts'
import { Routes, emptyRouteState, routeReducer, type Route, type RouteOp, type RouteState } from '../../src/proxy/route-store.ts'
import { memoryStore } from '../../src/store/memory-store.ts'
import { createProxyMetrics, type ProxyMetrics } from '../../src/metrics/proxy-metrics.ts'

/** The part of a tap Test the fixture uses. */
export interface Teardown {
  teardown(fn: () => unknown): void
}

export function newRoutes(now?: () => number): Routes {
  const table = new RouteTable<Route>()
  return new Routes(table, memoryStore<RouteState, RouteOp>({ initial: emptyRouteState, apply: routeReducer(table) }), now)
}

/** Listens on 127.0.0.1:0, tracks sockets, and closes everything at teardown. */
export async function listen(t: Teardown, server: Server): Promise<{ url: string; port: number }> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  )
  const port = (server.address() as AddressInfo).port
  return { url: `http://127.0.0.1:${port}`, port }
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export async function startBackend(t: Teardown, handler: Handler): Promise<{ url: string; port: number; server: Server }> {
  const server = createServer(handler)
  const { url, port } = await listen(t, server)
  return { url, port, server }
}

/** A backend answering JSON describing what it received. */
export async function startEchoBackend(t: Teardown): Promise<{ url: string; port: number; server: Server }> {
  return startBackend(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, rawHeaders: req.rawHeaders }))
  })
}

export interface ProxyHarness {
  url: string
  port: number
  routes: Routes
  proxy: Proxy
  metrics: ProxyMetrics
  server: Server
  logs: Array<Record<string, unknown>>
  log: Logger
}

export async function startProxy(
  t: Teardown,
  options: Partial<ProxyOptions> = {},
  extra: Partial<Pick<ProxyDeps, 'authorize'>> & { now?: () => number } = {},
): Promise<ProxyHarness> {
  const routes = newRoutes(extra.now)
  const logs: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) })
  const metrics = createProxyMetrics(() => routes.size)
  const proxy = createProxy({ routes, options: { ...defaultProxyOptions, ...options }, log, metrics, ...(extra.authorize === undefined ? {} : { authorize: extra.authorize }) })
  const server = createServer((req, res) => proxy.handleRequest(req, res))
  server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => proxy.handleUpgrade(req, socket, head))
  t.teardown(() => proxy.close())
  const { url, port } = await listen(t, server)
  return { url, port, routes, proxy, metrics, server, logs, log }
}

/** Waits (bounded) until `check` is true. */
export async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
