import t from 'tap'
import { createServer } from 'node:http'
import { createProxyMetrics, metricsRequestHandler } from '../../src/metrics/proxy-metrics.ts'
import { listen } from './proxy-fixture.ts'

t.test('each createProxyMetrics has its own registry, so many can run in one process', async (t) => {
  const one = createProxyMetrics(() => 1)
  const two = createProxyMetrics(() => 2)
  one.request(200)
  one.request(599)
  two.webSocket(1)
  const a = await one.registry.metrics()
  const b = await two.registry.metrics()
  t.match(a, /monohub_proxy_requests_total\{status="200"\} 1/)
  t.match(a, /monohub_proxy_requests_total\{status="599"\} 1/, 'uncommon statuses get a label too')
  t.match(a, /monohub_proxy_routes 1/)
  t.match(b, /monohub_proxy_routes 2/)
  t.match(b, /monohub_proxy_websockets_open 1/)
  t.notMatch(b, /status="200"/)
})

t.test('GET /metrics serves Prometheus text; other methods get 405', async (t) => {
  const metrics = createProxyMetrics(() => 0)
  metrics.apiCall('get', 200)
  metrics.latency(0.003)
  const { url } = await listen(t, createServer(metricsRequestHandler(metrics)))
  const res = await fetch(url + '/metrics')
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /text\/plain/)
  const text = await res.text()
  t.match(text, /# TYPE monohub_proxy_latency_seconds histogram/)
  t.match(text, /monohub_proxy_latency_seconds_bucket\{le="0.005"\} 1/)
  t.match(text, /monohub_api_requests_total\{method="GET",status="200"\} 1/)
  t.match(text, /nodejs_eventloop_lag_seconds/)
  t.equal((await fetch(url + '/metrics', { method: 'POST' })).status, 405)
})
