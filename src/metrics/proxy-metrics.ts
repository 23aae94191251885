/**
 * Prometheus metrics for the proxy: one Registry per instance (many proxies
 * may run in one test process), the process's default metrics on it, and
 * label children bound up front so the per-request cost is a lookup and an add.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { IncomingMessage, ServerResponse } from 'node:http'

export interface ProxyMetrics {
  readonly registry: Registry
  /** A proxied (or refused) request finished with `status`. */
  request(status: number): void
  /** Seconds from receiving a request to the upstream's response headers. */
  latency(seconds: number): void
  /** One CHP REST API call, by method and answered status. */
  apiCall(method: string, status: number): void
  /** An upgraded WebSocket opened (+1) or closed (-1). */
  webSocket(delta: 1 | -1): void
}

type CounterChild = ReturnType<Counter<'status'>['labels']>

/** Statuses the proxy answers most; their label children are bound once. */
const COMMON_STATUSES = [200, 201, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 500, 502, 503, 504]

export function createProxyMetrics(routesCount: () => number): ProxyMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const requests = new Counter({
    name: 'monohub_proxy_requests_total',
    help: 'Requests handled by the proxy, by HTTP status answered',
    labelNames: ['status'] as const,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'monohub_proxy_latency_seconds',
    help: 'Time from receiving a request to the upstream response headers',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  new Gauge({
    name: 'monohub_proxy_routes',
    help: 'Routes in the route table',
    registers: [registry],
    collect() {
      this.set(routesCount())
    },
  })
  const api = new Counter({
    name: 'monohub_api_requests_total',
    help: 'configurable-http-proxy REST API calls, by method and HTTP status answered',
    labelNames: ['method', 'status'] as const,
    registers: [registry],
  })
  const webSockets = new Gauge({
    name: 'monohub_proxy_websockets_open',
    help: 'WebSocket connections currently proxied',
    registers: [registry],
  })

  const byStatus = new Map<number, CounterChild>()
  for (const status of COMMON_STATUSES) byStatus.set(status, requests.labels(String(status)))

  return {
    registry,
    request(status) {
      let child = byStatus.get(status)
      if (child === undefined) {
        child = requests.labels(String(status))
        byStatus.set(status, child)
      }
      child.inc()
    },
    latency(seconds) {
      latency.observe(seconds)
    },
    apiCall(method, status) {
      api.labels(method.toUpperCase(), String(status)).inc()
    },
    webSocket(delta) {
      webSockets.inc(delta)
    },
  }
}

/** A request handler answering any request with the registry in Prometheus text format. */
export function metricsRequestHandler(metrics: ProxyMetrics): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      res.end('metrics are read with GET\n')
      return
    }
    metrics.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`)
      },
    )
  }
}
