/**
 * What `monohub proxy` can be configured with: one key per setting, the same
 * names in a JSON config file (camelCase), in env (MONOHUB_UPPER_SNAKE) and
 * as flags (--kebab-case, CHP's names). Defaults are CHP's where CHP has one.
 */
import { z } from 'zod'
import * as f from './fields.ts'

export const proxyConfigSchema = z.strictObject({
  ip: f.ip,
  port: f.port,
  apiIp: f.ip,
  /** Default: port + 1 (CHP). */
  apiPort: f.port.optional(),
  metricsIp: f.ip,
  /** No metrics listener unless set. */
  metricsPort: f.port.optional(),
  dataDir: f.dataDir,
  logLevel: f.logLevel,
  /** false only with --no-auth: the route API then accepts anyone who can reach it. */
  auth: f.boolean,
  defaultTarget: f.httpUrl.optional(),
  errorTarget: f.httpUrl.optional(),
  errorPath: f.path.optional(),
  hostRouting: f.boolean,
  xForward: f.boolean,
  prependPath: f.boolean,
  includePrefix: f.boolean,
  customHeaders: f.headers,
  timeout: f.milliseconds,
  proxyTimeout: f.milliseconds,
  keepAliveTimeout: f.milliseconds,
  pidFile: f.path.optional(),
  redirectPort: f.port.optional(),
  redirectTo: f.port.optional(),
  // TLS of the public listener
  sslKey: f.path.optional(),
  sslCert: f.path.optional(),
  sslCa: f.path.optional(),
  sslRequestCert: f.boolean,
  /** Unset = Node's default (reject unverified client certificates when one is requested), as in CHP. */
  sslRejectUnauthorized: f.boolean.optional(),
  sslProtocol: f.nonEmptyText.optional(),
  sslCiphers: f.nonEmptyText.optional(),
  sslDhparam: f.path.optional(),
  // TLS of the API listener
  apiSslKey: f.path.optional(),
  apiSslCert: f.path.optional(),
  apiSslCa: f.path.optional(),
  apiSslRequestCert: f.boolean,
  apiSslRejectUnauthorized: f.boolean.optional(),
  // TLS credentials the proxy presents to https targets
  clientSslKey: f.path.optional(),
  clientSslCert: f.path.optional(),
  clientSslCa: f.path.optional(),
  clientSslRequestCert: f.boolean,
  clientSslRejectUnauthorized: f.boolean.optional(),
})

export type ProxyConfigInput = z.input<typeof proxyConfigSchema>
type Parsed = z.output<typeof proxyConfigSchema>

/** The validated config with derived values filled in. */
export interface ProxyConfig extends Omit<Parsed, 'apiPort'> {
  apiPort: number
  /** From CONFIGPROXY_AUTH_TOKEN; undefined only when auth is false. */
  authToken: string | undefined
}

export type ProxyConfigKey = keyof z.input<typeof proxyConfigSchema>

export const proxyConfigKeys = Object.keys(proxyConfigSchema.shape) as ProxyConfigKey[]

/** Lowest-priority source. */
export const proxyConfigDefaults: Partial<Record<ProxyConfigKey, unknown>> = {
  ip: '',
  port: 8000,
  apiIp: '127.0.0.1',
  metricsIp: '',
  dataDir: './monohub-data',
  logLevel: 'info',
  auth: true,
  hostRouting: false,
  xForward: true,
  prependPath: true,
  includePrefix: true,
  customHeaders: {},
  timeout: 0,
  proxyTimeout: 0,
  keepAliveTimeout: 5000,
  sslRequestCert: false,
  apiSslRequestCert: false,
  clientSslRequestCert: false,
}

/** Keys holding file or folder paths: resolved against the folder of the source that set them. */
export const proxyPathKeys: ReadonlySet<string> = new Set<ProxyConfigKey>([
  'dataDir', 'errorPath', 'pidFile',
  'sslKey', 'sslCert', 'sslCa', 'sslDhparam',
  'apiSslKey', 'apiSslCert', 'apiSslCa',
  'clientSslKey', 'clientSslCert', 'clientSslCa',
])
