/**
 * HTTP forwarding through one undici Agent: bodies streamed both ways with
 * backpressure (never buffered), hop-by-hop headers dropped, the client
 * going away aborts the upstream request, and an upstream that refuses,
 * resets or does not answer within proxyTimeout gets a 503 — never a hang.
 *
 * One Agent with `connections` per origin bounds the sockets to each user
 * server, so hundreds of users cannot exhaust ephemeral ports; requests
 * beyond the bound queue in undici.
 *
 * The hot path uses `agent.dispatch` with one handler object per request
 * and module-level listeners (no closures per request).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Agent as UndiciAgent, Dispatcher } from 'undici'
import { Agent } from './undici-agent.ts'
import type { ProxyOptions } from './options.ts'
import type { Route, Routes } from './route-store.ts'
import type { ProxyMetrics } from '../metrics/proxy-metrics.ts'
import type { ErrorPages } from './error-pages.ts'
import { forwardPathFor } from './forward-path.ts'
import { forwardRequestHeaders, forwardResponseHeaders, requestHeaderRules } from './forwarded-headers.ts'
import { upstreamUnreachable, type UnreachableHook } from './upstream-unreachable.ts'

export interface Forwarder {
  /** Forwards `req` to `route`'s target; `url` is the normalised request URL. */
  forward(req: IncomingMessage, res: ServerResponse, route: Route, url: string): void
  /** Aborts running upstream requests and closes upstream connections (of an Agent it created). */
  close(): Promise<void>
}

export interface ForwarderDeps {
  options: ProxyOptions
  routes: Routes
  errorPages: ErrorPages
  log: Logger
  metrics: ProxyMetrics | undefined
  /** Defaults to an Agent built from options (tests and the hub may share one). */
  agent?: Agent
  /** See ProxyDeps.onUpstreamUnreachable. */
  onUpstreamUnreachable?: UnreachableHook
}

/** The Agent the proxy uses for HTTP upstreams. */
export function createUpstreamAgent(options: ProxyOptions, connect?: UndiciAgent.Options['connect']): Agent {
  return new Agent({
    connections: options.maxConnectionsPerOrigin,
    keepAliveTimeout: options.keepAliveTimeout,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeout, 1),
    allowH2: false,
    // Per request below; these are the Agent's fall-backs.
    headersTimeout: options.proxyTimeout,
    bodyTimeout: 0,
    // TLS to https targets, e.g. client certificates (--client-ssl-*).
    ...(connect === undefined ? {} : { connect }),
  })
}

class ClientGoneError extends Error {
  readonly code = 'CLIENT_GONE'
}

interface Shared {
  routes: Routes
  errorPages: ErrorPages
  log: Logger
  metrics: ProxyMetrics | undefined
  onUpstreamUnreachable: UnreachableHook | undefined
}

const kForward = Symbol('monohub.forward')
type ResWithForward = ServerResponse & { [kForward]?: ForwardRequest }

/** Undici error codes that mean "the upstream is not there or did not answer". */
function describeUpstreamError(err: Error & { code?: string }): string {
  switch (err.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'no answer within the proxy timeout'
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connecting timed out'
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable'
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_CLOSED':
      return 'the proxy is shutting down'
    default:
      return err.code ?? err.message
  }
}

/** One forwarded request: the undici handler, also reached from res listeners. */
class ForwardRequest implements Dispatcher.DispatchHandler {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly route: Route
  readonly shared: Shared
  readonly started: number
  controller: Dispatcher.DispatchController | undefined = undefined
  status = 0

  constructor(req: IncomingMessage, res: ServerResponse, route: Route, shared: Shared) {
    this.req = req
    this.res = res
    this.route = route
    this.shared = shared
    this.started = performance.now()
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.res.destroyed) controller.abort(new ClientGoneError('client closed the connection'))
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    // 1xx: Node's server already answered Expect: 100-continue; early hints are dropped.
    if (statusCode < 200) return
    const res = this.res
    if (res.destroyed) return
    this.status = statusCode
    const metrics = this.shared.metrics
    if (metrics !== undefined) {
      metrics.latency((performance.now() - this.started) / 1000)
      metrics.request(statusCode)
    }
    const out = forwardResponseHeaders(headers)
    // A Set-Cookie the hub put on this response (a refreshed session) would be
    // replaced by the upstream's in writeHead: send both.
    if (headers['set-cookie'] !== undefined && res.hasHeader('set-cookie')) {
      const ours = res.getHeader('set-cookie')
      for (const value of Array.isArray(ours) ? ours : [String(ours)]) out.push('set-cookie', value)
    }
    if (statusMessage !== undefined && statusMessage.length > 0) res.writeHead(statusCode, statusMessage, out)
    else res.writeHead(statusCode, out)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) controller.pause()
  }

  onResponseEnd(): void {
    this.res.end()
    this.shared.routes.touch(this.route)
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error & { code?: string }): void {
    const res = this.res
    if (err instanceof ClientGoneError || res.destroyed) return
    if (res.headersSent) {
      // Mid-body: nothing to answer with; cut the response so the client notices.
      this.shared.log.warn({ route: this.route.prefix, code: err.code }, 'upstream failed during the response body')
      res.destroy(err)
      return
    }
    let detail = describeUpstreamError(err)
    const shuttingDown = err.code === 'UND_ERR_DESTROYED' || err.code === 'UND_ERR_CLOSED'
    this.shared.log[shuttingDown ? 'debug' : 'warn']({ route: this.route.prefix, target: this.route.origin, code: err.code, err: err.code === undefined ? err : undefined }, `upstream not reachable: ${detail}`)
    // Not there at all (not merely slow): let the owner of the route check it now.
    if (!shuttingDown && err.code !== 'UND_ERR_HEADERS_TIMEOUT') {
      const more = upstreamUnreachable(this.shared, this.route)
      if (more !== undefined) detail = `${detail} — ${more}`
    }
    this.shared.metrics?.request(503)
    this.shared.errorPages.send(this.req, res, 503, detail)
  }
}

function onDrain(this: ResWithForward): void {
  this[kForward]?.controller?.resume()
}

function onClose(this: ResWithForward): void {
  const forward = this[kForward]
  if (forward === undefined || this.writableFinished) return
  // The client went away before the response finished: stop the upstream too.
  forward.controller?.abort(new ClientGoneError('client closed the connection'))
}

export function createForwarder(deps: ForwarderDeps): Forwarder {
  const { options, routes } = deps
  const ownAgent = deps.agent === undefined
  const agent = deps.agent ?? createUpstreamAgent(options)
  const rules = requestHeaderRules(options.xForward, options.customHeaders, options.stripRequestHeaders, options.stripCookies)
  const shared: Shared = { routes, errorPages: deps.errorPages, log: deps.log, metrics: deps.metrics, onUpstreamUnreachable: deps.onUpstreamUnreachable }
  const headersTimeout = options.proxyTimeout

  return {
    forward(req, res, route, url) {
      routes.touch(route)
      const headers: string[] = []
      const hasBody = forwardRequestHeaders(req, rules, headers, route.authorization)
      const handler = new ForwardRequest(req, res, route, shared)
      ;(res as ResWithForward)[kForward] = handler
      res.on('drain', onDrain)
      res.on('close', onClose)
      agent.dispatch(
        {
          origin: route.origin,
          path: forwardPathFor(route, url, options),
          method: req.method ?? 'GET',
          headers,
          body: hasBody ? req : null,
          headersTimeout,
          bodyTimeout: 0,
        },
        handler,
      )
    },
    async close() {
      if (ownAgent) await agent.destroy()
    },
  }
}
