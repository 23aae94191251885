/**
 * `monohub proxy` as a running process: the persisted route table, the
 * proxy listener (http or https, with WebSocket upgrades), the CHP route API
 * listener, optional metrics and http→https redirect listeners, the pid file
 * and the activity flush — started in that order and stopped in reverse.
 */
import http from 'node:http'
import https from 'node:https'
import type { Server } from 'node:net'
import type { Logger } from 'pino'
import type { ProxyConfig } from '../config/proxy-schema.ts'
import { openRoutes, type OpenedRoutes } from '../proxy/open-routes.ts'
import { createProxy, type Proxy } from '../proxy/proxy-handler.ts'
import { createChpApi } from '../proxy/chp-api.ts'
import { createProxyMetrics, metricsRequestHandler } from '../metrics/proxy-metrics.ts'
import { createLogger } from './logger.ts'
import { closeServer, listen, listenerUrl } from './listen.ts'
import { apiTls, clientTls, publicTls } from './tls.ts'
import { writePidFile, type PidFile } from './pid-file.ts'
import { createRedirectServer } from './redirect-server.ts'
import { clientTlsAgent, toProxyOptions } from './proxy-options.ts'

export interface RunningProxy {
  /** Public URL, e.g. "http://127.0.0.1:8000". */
  url: string
  /** Route API base URL, e.g. "http://127.0.0.1:8001" (routes under /api/routes). */
  apiUrl: string
  metricsUrl: string | undefined
  log: Logger
  /** Graceful stop: stop accepting, close proxied connections, flush activity, close the store, remove the pid file. */
  close(): Promise<void>
}

export interface ProxyProcessDeps {
  log?: Logger
  env?: NodeJS.ProcessEnv
  /** How often recorded activity is written (default 5 s). */
  activityFlushMs?: number
  /** How long a stop waits for in-flight requests before cutting them (default 5 s). */
  stopGraceMs?: number
}

interface Listener {
  server: Server
  host: string
  port: number
  what: string
  flags: string
}

export async function startProxyProcess(config: ProxyConfig, deps: ProxyProcessDeps = {}): Promise<RunningProxy> {
  const env = deps.env ?? process.env
  const log = deps.log ?? createLogger({ level: config.logLevel })
  const stopGraceMs = deps.stopGraceMs ?? 5_000

  // Files first: a missing certificate should fail before anything opens.
  const publicTlsOptions = publicTls(config, env)
  const apiTlsOptions = apiTls(config, env)
  const options = toProxyOptions(config)
  const agent = clientTlsAgent(config, options)
  const upstreamTls = clientTls(config)

  const opened: OpenedRoutes = await openRoutes(config.dataDir, { onWarning: (message) => log.warn(message) })
  const { routes } = opened
  const listeners: Listener[] = []
  let proxy: Proxy | undefined
  let pidFile: PidFile | undefined
  let flushTimer: NodeJS.Timeout | undefined
  let closing: Promise<void> | undefined

  async function close(): Promise<void> {
    closing ??= (async () => {
      if (flushTimer !== undefined) clearInterval(flushTimer)
      const stopped = listeners.map((l) => closeServer(l.server as http.Server, stopGraceMs))
      await proxy?.close()
      await Promise.all(stopped)
      await opened.close()
      pidFile?.remove()
    })()
    return closing
  }

  try {
    if (config.defaultTarget !== undefined) await routes.set('/', { target: config.defaultTarget })

    const metrics = createProxyMetrics(() => routes.size)
    proxy = createProxy({ routes, options, log, metrics, ...(agent !== undefined && { agent }), ...(upstreamTls !== undefined && { upstreamTls }) })
    const api = createChpApi({ routes, authToken: config.authToken, log, metrics })

    const serverOptions = { keepAliveTimeout: config.keepAliveTimeout }
    const publicServer = publicTlsOptions === undefined
      ? http.createServer(serverOptions, proxy.handleRequest)
      : https.createServer({ ...publicTlsOptions, ...serverOptions }, proxy.handleRequest)
    // Attached once, here: every upgrade goes to the proxy.
    publicServer.on('upgrade', proxy.handleUpgrade)
    const apiServer = apiTlsOptions === undefined ? http.createServer(api) : https.createServer(apiTlsOptions, api)

    listeners.push({ server: publicServer, host: config.ip, port: config.port, what: 'the proxy', flags: '--ip/--port' })
    listeners.push({ server: apiServer, host: config.apiIp, port: config.apiPort, what: 'the route API', flags: '--api-ip/--api-port' })
    if (config.metricsPort !== undefined) {
      listeners.push({ server: http.createServer(metricsRequestHandler(metrics)), host: config.metricsIp, port: config.metricsPort, what: 'metrics', flags: '--metrics-ip/--metrics-port' })
    }
    if (config.redirectPort !== undefined) {
      listeners.push({ server: createRedirectServer(config.redirectTo ?? config.port), host: config.ip, port: config.redirectPort, what: 'the http→https redirect', flags: '--redirect-port' })
    }
    for (const l of listeners) await listen(l.server, l.host, l.port, l.what, l.flags)

    if (config.pidFile !== undefined) pidFile = writePidFile(config.pidFile)
    flushTimer = setInterval(() => {
      routes.flushActivity().catch((err: unknown) => log.error({ err }, 'writing route activity failed'))
    }, deps.activityFlushMs ?? 5_000)
    flushTimer.unref()
  } catch (err) {
    await close().catch((closeErr: unknown) => log.error({ err: closeErr }, 'cleaning up after a failed start failed'))
    throw err
  }

  const url = listenerUrl(publicTlsOptions === undefined ? 'http' : 'https', config.ip, config.port)
  const apiUrl = listenerUrl(apiTlsOptions === undefined ? 'http' : 'https', config.apiIp, config.apiPort)
  const metricsUrl = config.metricsPort === undefined ? undefined : listenerUrl('http', config.metricsIp, config.metricsPort)
  log.info(
    { url, apiUrl, metricsUrl, dataDir: config.dataDir, routes: routes.size },
    `monohub proxy listening on ${url} (route API ${apiUrl}/api/routes${metricsUrl === undefined ? '' : `, metrics ${metricsUrl}/metrics`}), ${routes.size} route(s) loaded from ${config.dataDir}`,
  )
  if (config.authToken === undefined) {
    log.warn(`THE ROUTE API IS NOT AUTHENTICATED (--no-auth): anyone who can reach ${apiUrl} can change where traffic goes — set CONFIGPROXY_AUTH_TOKEN to require a token`)
  } else if (!config.auth) {
    log.info('--no-auth ignored: CONFIGPROXY_AUTH_TOKEN is set, so the route API requires it')
  }
  return { url, apiUrl, metricsUrl, log, close }
}
