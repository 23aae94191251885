/**
 * From `monohub proxy`'s config to what the proxy's parts take: ProxyOptions
 * and, when --client-ssl-* is given, an upstream Agent that presents those
 * credentials to https targets.
 */
import type { Agent } from '../proxy/undici-agent.ts'
import { createUpstreamAgent } from '../proxy/forward.ts'
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
 * proxy build its own.
 */
export function clientTlsAgent(config: ProxyConfig, options: ProxyOptions): Agent | undefined {
  const tls = clientTls(config)
  if (tls === undefined) return undefined
  return createUpstreamAgent(options, tls)
}
