/**
 * Loads `monohub proxy`'s config: merges flags > env > config file >
 * defaults, validates once, fills derived values (apiPort = port + 1) and
 * checks settings that only make sense together.
 */
import { ConfigError, formatIssues, keyLabel } from './errors.ts'
import { defaultsLayer, envLayer, fileLayer, flagLayer, mergeLayers, type Layer } from './sources.ts'
import { proxyConfigDefaults, proxyConfigKeys, proxyConfigSchema, proxyPathKeys, type ProxyConfig } from './proxy-schema.ts'

export interface LoadProxyConfigInput {
  /** Settings given as flags, by config key (only those typed on the command line). */
  flags: Record<string, unknown>
  /** How to name a key's flag in messages (default --kebab-case). */
  flagOf?: (key: string) => string
  /** JSON config file (--config or MONOHUB_CONFIG), relative to cwd. */
  configFile?: string | undefined
  env: NodeJS.ProcessEnv
  cwd: string
}

export function loadProxyConfig(input: LoadProxyConfigInput): ProxyConfig {
  const layers: Layer[] = [flagLayer(input.flags, input.cwd, input.flagOf), envLayer(input.env, proxyConfigKeys, input.cwd)]
  if (input.configFile !== undefined) layers.push(fileLayer(input.configFile, proxyConfigKeys, input.cwd))
  layers.push(defaultsLayer(proxyConfigDefaults, input.cwd))
  const merged = mergeLayers(layers, proxyPathKeys)

  const result = proxyConfigSchema.safeParse(merged.values)
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, merged.origins))
  const parsed = result.data

  const apiPort = parsed.apiPort ?? parsed.port + 1
  if (apiPort > 65535) {
    throw new ConfigError(`api-port defaults to port + 1 = ${apiPort}, which is not a valid port — set --api-port`)
  }
  const authToken = input.env.CONFIGPROXY_AUTH_TOKEN === '' ? undefined : input.env.CONFIGPROXY_AUTH_TOKEN
  const config: ProxyConfig = { ...parsed, apiPort, authToken }
  checkCombinations(config, (key) => merged.origins[key]?.source ?? `--${keyLabel(key)}`)
  return config
}

function checkCombinations(config: ProxyConfig, from: (key: string) => string): void {
  const problems: string[] = []
  if (config.errorTarget !== undefined && config.errorPath !== undefined) {
    problems.push(`error-target (${from('errorTarget')}) and error-path (${from('errorPath')}) cannot both be set — pick one`)
  }
  for (const [prefix, label] of [['ssl', 'the public listener'], ['apiSsl', 'the API listener'], ['clientSsl', 'https targets']] as const) {
    const key = config[`${prefix}Key`]
    const cert = config[`${prefix}Cert`]
    if ((key === undefined) !== (cert === undefined)) {
      const given = key === undefined ? `${prefix}Cert` : `${prefix}Key`
      const missing = key === undefined ? `${prefix}Key` : `${prefix}Cert`
      problems.push(`TLS for ${label} needs both ${keyLabel(`${prefix}Key`)} and ${keyLabel(`${prefix}Cert`)}: ${keyLabel(given)} is set (${from(given)}) but ${keyLabel(missing)} is not`)
    }
  }
  if (config.redirectPort !== undefined && config.sslCert === undefined) {
    problems.push(`redirect-port (${from('redirectPort')}) redirects http to https, so it needs --ssl-key and --ssl-cert`)
  }
  if (config.redirectTo !== undefined && config.redirectPort === undefined) {
    problems.push(`redirect-to (${from('redirectTo')}) only applies with --redirect-port`)
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'))
  if (config.auth && config.authToken === undefined) {
    throw new ConfigError(
      'refusing to start: the route API needs a token. Either set CONFIGPROXY_AUTH_TOKEN in the environment ' +
        '(JupyterHub does this when it starts the proxy), or pass --no-auth to run the API without authentication ' +
        '(anyone who can reach the API port can then change routes)',
      1,
    )
  }
}
