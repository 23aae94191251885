/**
 * From `monohub proxy`'s config to what the proxy's parts take: ProxyOptions
 * and, when --client-ssl-* is given, an upstream Agent that presents those
 * credentials to https targets.
 */
import { Agent } from '../proxy/undici-agent.ts'
import { defaultProxyOptions, type ProxyOptions } from '../proxy/options.ts'
import type { ProxyConfig } from '../config/proxy-schema.ts'
import { clientTls } from './tls.ts'

export function toProxyOptions(config: ProxyConfig): ProxyOptions {
  return {
    ...defaultProxyOptions,
    hostRouting: config.hostRouting,
    prependPath: config.prependPath,
    includePrefix: config.includePrefix,
    xForward: config.xForward,
    proxyTimeout: config.proxyTimeout,
    timeout: config.timeout,
    keepAliveTimeout: config.keepAliveTimeout,
    errorTarget: config.errorTarget,
    errorPath: config.errorPath,
    customHeaders: config.customHeaders,
  }
}

/**
 * The upstream Agent with --client-ssl-* credentials, or undefined to let the
 * proxy build its own. Mirrors the proxy's own Agent settings (forward.ts).
 */
export function clientTlsAgent(config: ProxyConfig, options: ProxyOptions): Agent | undefined {
  const tls = clientTls(config)
  if (tls === undefined) return undefined
  return new Agent({
    connections: options.maxConnectionsPerOrigin,
    keepAliveTimeout: options.keepAliveTimeout,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeout, 1),
    allowH2: false,
    headersTimeout: options.proxyTimeout,
    bodyTimeout: 0,
    connect: tls,
  })
}
