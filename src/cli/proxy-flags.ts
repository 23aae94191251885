/**
 * The flags of `monohub proxy`: configurable-http-proxy's command line (as
 * JupyterHub launches it) plus monohub's own. One row per flag; help text,
 * defaults and env var names are generated from this table so they cannot
 * drift apart.
 */
import { envName } from '../config/sources.ts'
import type { ProxyConfigKey } from '../config/proxy-schema.ts'

export interface FlagSpec {
  /** Commander flag syntax, e.g. "--port <n>" or "--no-x-forward". */
  flags: string
  key: ProxyConfigKey
  help: string
  /** Shown as "default: …"; omit when there is none. */
  defaultText?: string
  /** Repeatable flag: values are collected into a list. */
  repeatable?: boolean
}

export const proxyFlags: readonly FlagSpec[] = [
  { flags: '--ip <address>', key: 'ip', help: "public-facing IP of the proxy ('' or '*' = all interfaces)", defaultText: "'' (all interfaces)" },
  { flags: '--port <n>', key: 'port', help: 'public-facing port of the proxy', defaultText: '8000' },
  { flags: '--api-ip <address>', key: 'apiIp', help: 'inward-facing IP for the route API', defaultText: "127.0.0.1 (CHP's localhost)" },
  { flags: '--api-port <n>', key: 'apiPort', help: 'inward-facing port for the route API', defaultText: '--port + 1' },
  { flags: '--data-dir <dir>', key: 'dataDir', help: 'folder where the route table persists (survives restarts and kill -9)', defaultText: './monohub-data' },
  { flags: '--no-auth', key: 'auth', help: 'run the route API without a token (only when CONFIGPROXY_AUTH_TOKEN is not set on purpose; anyone reaching the API port can change routes)' },
  { flags: '--default-target <url>', key: 'defaultTarget', help: "target of the '/' route, set at every start (proto://host[:port])" },
  { flags: '--error-target <url>', key: 'errorTarget', help: 'server that renders error pages: monohub fetches <url>/<code>?url=<path>' },
  { flags: '--error-path <dir>', key: 'errorPath', help: 'folder with <code>.html error pages (not with --error-target)' },
  { flags: '--host-routing', key: 'hostRouting', help: 'route by host name: the first path segment of a route is the host', defaultText: 'off' },
  { flags: '--log-level <level>', key: 'logLevel', help: 'log level: debug, info, warn or error', defaultText: 'info' },
  { flags: '--timeout <ms>', key: 'timeout', help: 'drop a client request after this many milliseconds (0 = no limit)', defaultText: '0' },
  { flags: '--proxy-timeout <ms>', key: 'proxyTimeout', help: 'answer 503 when a target does not respond within this many milliseconds (0 = no limit)', defaultText: '0' },
  { flags: '--keep-alive-timeout <ms>', key: 'keepAliveTimeout', help: 'keep-alive timeout of idle connections, clients and targets', defaultText: '5000' },
  { flags: '--no-x-forward', key: 'xForward', help: "don't add X-Forwarded-* headers to proxied requests" },
  { flags: '--no-prepend-path', key: 'prependPath', help: "don't prepend the target URL's path to proxied requests" },
  { flags: '--no-include-prefix', key: 'includePrefix', help: "don't include the route prefix in proxied requests" },
  { flags: '--custom-header <header>', key: 'customHeaders', help: "add 'Name: value' to every proxied request; repeat for several", repeatable: true },
  { flags: '--metrics-ip <address>', key: 'metricsIp', help: "IP of the Prometheus metrics listener ('' = all interfaces)", defaultText: "''" },
  { flags: '--metrics-port <n>', key: 'metricsPort', help: 'port of the Prometheus metrics listener (GET /metrics)', defaultText: 'no metrics listener' },
  { flags: '--pid-file <file>', key: 'pidFile', help: 'write the process id to this file at start; removed at stop' },
  { flags: '--redirect-port <n>', key: 'redirectPort', help: 'also listen for plain http on this port and redirect it to https (needs --ssl-key/--ssl-cert)' },
  { flags: '--redirect-to <n>', key: 'redirectTo', help: 'https port that --redirect-port redirects to', defaultText: '--port' },
  { flags: '--ssl-key <file>', key: 'sslKey', help: 'TLS key of the public listener (serves https; passphrase from CONFIGPROXY_SSL_KEY_PASSPHRASE)' },
  { flags: '--ssl-cert <file>', key: 'sslCert', help: 'TLS certificate of the public listener' },
  { flags: '--ssl-ca <file>', key: 'sslCa', help: 'CA certificates that client certificates of the public listener are checked against' },
  { flags: '--ssl-request-cert', key: 'sslRequestCert', help: 'ask clients of the public listener for a certificate' },
  { flags: '--ssl-reject-unauthorized', key: 'sslRejectUnauthorized', help: 'refuse clients without a valid certificate (with --ssl-request-cert)' },
  { flags: '--ssl-protocol <name>', key: 'sslProtocol', help: 'TLS protocol method, e.g. TLSv1_2 (all listeners)' },
  { flags: '--ssl-ciphers <list>', key: 'sslCiphers', help: "':'-separated TLS cipher list (all listeners)", defaultText: "Node's defaults" },
  { flags: '--ssl-dhparam <file>', key: 'sslDhparam', help: 'Diffie-Hellman parameters PEM file (all listeners)' },
  { flags: '--api-ssl-key <file>', key: 'apiSslKey', help: 'TLS key of the API listener (serves https; passphrase from CONFIGPROXY_API_SSL_KEY_PASSPHRASE)' },
  { flags: '--api-ssl-cert <file>', key: 'apiSslCert', help: 'TLS certificate of the API listener' },
  { flags: '--api-ssl-ca <file>', key: 'apiSslCa', help: 'CA certificates that API client certificates are checked against' },
  { flags: '--api-ssl-request-cert', key: 'apiSslRequestCert', help: 'ask API clients for a certificate' },
  { flags: '--api-ssl-reject-unauthorized', key: 'apiSslRejectUnauthorized', help: 'refuse API clients without a valid certificate (with --api-ssl-request-cert)' },
  { flags: '--client-ssl-key <file>', key: 'clientSslKey', help: 'TLS key the proxy presents to https targets' },
  { flags: '--client-ssl-cert <file>', key: 'clientSslCert', help: 'TLS certificate the proxy presents to https targets' },
  { flags: '--client-ssl-ca <file>', key: 'clientSslCa', help: 'CA certificates that https targets are checked against' },
  { flags: '--client-ssl-request-cert', key: 'clientSslRequestCert', help: "accepted for CHP compatibility (CHP passes it to targets' TLS options, where it has no effect)" },
  { flags: '--client-ssl-reject-unauthorized', key: 'clientSslRejectUnauthorized', help: 'check https targets against --client-ssl-ca (or the system CAs)' },
]

/** CHP flags monohub refuses, each with the reason and what to do instead. */
export const unsupportedProxyFlags: readonly { flags: string; reason: string }[] = [
  { flags: '--socket <path>', reason: 'listening on a UNIX socket is not supported; use --ip and --port' },
  { flags: '--api-socket <path>', reason: 'listening on a UNIX socket is not supported; use --api-ip and --api-port' },
  { flags: '--metrics-socket <path>', reason: 'listening on a UNIX socket is not supported; use --metrics-ip and --metrics-port' },
  { flags: '--storage-backend <class>', reason: 'monohub keeps routes in its own durable store; use --data-dir' },
  { flags: '--ssl-allow-rc4', reason: 'RC4 is broken and not available in current Node' },
  { flags: '--auto-rewrite', reason: 'rewriting Location headers is not supported' },
  { flags: '--change-origin', reason: 'changing the Host header to the target is not supported' },
  { flags: '--protocol-rewrite <proto>', reason: 'rewriting Location headers is not supported' },
  { flags: '--insecure', reason: 'skipping TLS verification of targets is not supported; give the targets\' CA with --client-ssl-ca' },
]

/** One help line's tail: "(default: 8000; env MONOHUB_PORT)". */
export function helpSuffix(spec: FlagSpec): string {
  const parts: string[] = []
  if (spec.defaultText !== undefined) parts.push(`default: ${spec.defaultText}`)
  parts.push(spec.flags.startsWith('--no-') ? `env ${envName(spec.key)}=false` : `env ${envName(spec.key)}`)
  return `(${parts.join('; ')})`
}
