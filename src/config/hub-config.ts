/**
 * Loads the hub's config: flags > env (MONOHUB_*) > config file > defaults,
 * validated once. The config file is JSON, or a JS module (.js/.mjs) whose
 * default export is the config object — a module may hand over objects JSON
 * cannot hold, such as its own authenticator.
 */
import { dirname, extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ConfigError, formatIssues, keyLabel } from './errors.ts'
import { defaultsLayer, envLayer, fileLayer, flagLayer, mergeLayers, type Layer } from './sources.ts'
import { hubConfigDefaults, hubConfigKeys, hubConfigSchema, hubPathKeys, type HubConfig } from './hub-schema.ts'

export interface LoadHubConfigInput {
  /** Settings given as flags, by config key (only those typed on the command line). */
  flags: Record<string, unknown>
  flagOf?: (key: string) => string
  /** --config or MONOHUB_CONFIG, relative to cwd. */
  configFile?: string | undefined
  env: NodeJS.ProcessEnv
  cwd: string
}

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs'])

/** A JS config module: its default export (or `config` export) is the settings object. */
async function moduleLayer(file: string, cwd: string): Promise<Layer> {
  const path = resolve(cwd, file)
  let loaded: Record<string, unknown>
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ? 'no such file' : (err as Error).message
    throw new ConfigError(`cannot load config module ${path}: ${reason}`)
  }
  const values = loaded.default ?? loaded.config
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ConfigError(`config module ${path} must export the settings object as its default export (export default { port: 8000, … })`)
  }
  const unknown = Object.keys(values).filter((key) => !(hubConfigKeys as string[]).includes(key))
  if (unknown.length > 0) {
    throw new ConfigError(`config module ${path} has unknown setting(s) ${unknown.map((k) => `'${k}'`).join(', ')} — known settings: ${hubConfigKeys.join(', ')}`)
  }
  return { values: values as Record<string, unknown>, describe: (key) => `config module ${path}, key '${key}'`, baseDir: dirname(path) }
}

export async function loadHubConfig(input: LoadHubConfigInput): Promise<HubConfig> {
  const layers: Layer[] = [flagLayer(input.flags, input.cwd, input.flagOf), envLayer(input.env, hubConfigKeys, input.cwd)]
  if (input.configFile !== undefined) {
    layers.push(MODULE_EXTENSIONS.has(extname(input.configFile)) ? await moduleLayer(input.configFile, input.cwd) : fileLayer(input.configFile, hubConfigKeys, input.cwd))
  }
  layers.push(defaultsLayer(hubConfigDefaults, input.cwd))
  const merged = mergeLayers(layers, hubPathKeys)
  const result = hubConfigSchema.safeParse(merged.values)
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, merged.origins))
  const config = result.data
  const from = (key: string): string => merged.origins[key]?.source ?? `--${keyLabel(key)}`
  if ((config.sslKey === undefined) !== (config.sslCert === undefined)) {
    const given = config.sslKey === undefined ? 'sslCert' : 'sslKey'
    throw new ConfigError(`TLS needs both ssl-key and ssl-cert: ${keyLabel(given)} is set (${from(given)}) but the other is not`)
  }
  // What was chosen, not defaulted: a root hub treats an explicit `spawner: process` differently (see src/hub/hub-servers.ts).
  const explicitKeys = new Set(Object.entries(merged.origins).filter(([, origin]) => origin.source !== 'default').map(([key]) => key))
  return { ...config, explicitKeys }
}

/** The config with defaults only (tests, and a first start without any settings). */
export function defaultHubConfig(overrides: Record<string, unknown> = {}, cwd = process.cwd()): HubConfig {
  const merged = mergeLayers([flagLayer(overrides, cwd), defaultsLayer(hubConfigDefaults, cwd)], hubPathKeys)
  const result = hubConfigSchema.safeParse(merged.values)
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, merged.origins))
  return result.data
}
