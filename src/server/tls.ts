/**
 * TLS options for the listeners and for https targets, read from the files
 * named in the config (CHP's --ssl-*, --api-ssl-*, --client-ssl-*).
 */
import { readFileSync } from 'node:fs'
import type { SecureContextOptions, TlsOptions } from 'node:tls'
import type { ProxyConfig } from '../config/proxy-schema.ts'
import { ExplainedError } from '../explained-error.ts'

export class TlsFileError extends ExplainedError {
  constructor(file: string, flag: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (cause as Error).message
    super('TLS_FILE_UNREADABLE', 500, `cannot read ${flag} file ${file}: ${reason}`, { cause })
  }
}

function read(file: string, flag: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new TlsFileError(file, flag, err)
  }
}

/** A CA file may hold several certificates; Node wants them as a list. */
function readCaList(file: string, flag: string): string[] {
  const text = read(file, flag).toString('utf8')
  const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)
  return certs ?? [text]
}

function shared(config: ProxyConfig): SecureContextOptions {
  const options: SecureContextOptions = {}
  if (config.sslCiphers !== undefined) options.ciphers = config.sslCiphers
  if (config.sslDhparam !== undefined) options.dhparam = read(config.sslDhparam, '--ssl-dhparam')
  if (config.sslProtocol !== undefined) options.secureProtocol = `${config.sslProtocol}_method`
  return options
}

/** https options of the public listener, or undefined for plain http. */
export function publicTls(config: ProxyConfig, env: NodeJS.ProcessEnv): TlsOptions | undefined {
  if (config.sslKey === undefined || config.sslCert === undefined) return undefined
  return {
    ...shared(config),
    key: read(config.sslKey, '--ssl-key'),
    cert: read(config.sslCert, '--ssl-cert'),
    ...(config.sslCa !== undefined && { ca: readCaList(config.sslCa, '--ssl-ca') }),
    ...(env.CONFIGPROXY_SSL_KEY_PASSPHRASE && { passphrase: env.CONFIGPROXY_SSL_KEY_PASSPHRASE }),
    honorCipherOrder: true,
    requestCert: config.sslRequestCert,
    ...(config.sslRejectUnauthorized !== undefined && { rejectUnauthorized: config.sslRejectUnauthorized }),
  }
}

/** https options of the API listener, or undefined for plain http. */
export function apiTls(config: ProxyConfig, env: NodeJS.ProcessEnv): TlsOptions | undefined {
  if (config.apiSslKey === undefined || config.apiSslCert === undefined) return undefined
  return {
    ...shared(config),
    key: read(config.apiSslKey, '--api-ssl-key'),
    cert: read(config.apiSslCert, '--api-ssl-cert'),
    ...(config.apiSslCa !== undefined && { ca: readCaList(config.apiSslCa, '--api-ssl-ca') }),
    ...(env.CONFIGPROXY_API_SSL_KEY_PASSPHRASE && { passphrase: env.CONFIGPROXY_API_SSL_KEY_PASSPHRASE }),
    honorCipherOrder: true,
    requestCert: config.apiSslRequestCert,
    ...(config.apiSslRejectUnauthorized !== undefined && { rejectUnauthorized: config.apiSslRejectUnauthorized }),
  }
}

/** TLS credentials the proxy uses towards https targets, or undefined when none are set. */
export function clientTls(config: ProxyConfig): (SecureContextOptions & { rejectUnauthorized?: boolean }) | undefined {
  if (config.clientSslKey === undefined && config.clientSslCert === undefined && config.clientSslCa === undefined) return undefined
  return {
    ...shared(config),
    ...(config.clientSslKey !== undefined && { key: read(config.clientSslKey, '--client-ssl-key') }),
    ...(config.clientSslCert !== undefined && { cert: read(config.clientSslCert, '--client-ssl-cert') }),
    ...(config.clientSslCa !== undefined && { ca: readCaList(config.clientSslCa, '--client-ssl-ca') }),
    ...(config.clientSslRejectUnauthorized !== undefined && { rejectUnauthorized: config.clientSslRejectUnauthorized }),
  }
}
