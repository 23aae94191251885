/**
 * The hub's services (config `services`, like JupyterHub's
 * `c.JupyterHub.services`), started once the hub listens:
 *   - a service with a `url` gets the proxy route /services/<name>/ → url
 *     (route data `{service: name}`; the proxy's authorization lets such
 *     routes pass — a service does its own auth, as in JupyterHub);
 *   - a service with an API token (`apiToken`, or one made at each start
 *     for a `command`) is known to identifyRequest with its scopes;
 *   - a service with a `command` runs as a child process with JupyterHub's
 *     JUPYTERHUB_* environment, restarted when it dies (service-process.ts).
 *
 * Tokens are kept as hashes in memory only — the config is their source, so
 * the store never holds one and a removed service's token dies with the
 * hub that knew it.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'
import type { HubContext } from '../context.ts'
import type { ServiceConfig } from '../../config/services-schema.ts'
import { expandScopes, ROLES } from '../../auth/scopes.ts'
import { acceptServiceToken, forgetServiceTokens } from '../identity.ts'
import { TOKEN_PREFIX } from '../../auth/tokens.ts'
import { ServiceProcess } from './service-process.ts'

/** Environment variables a service's process keeps from the hub's (JupyterHub's Service.env_keep, plus HOME). */
export const SERVICE_ENV_KEEP = ['PATH', 'PYTHONPATH', 'CONDA_ROOT', 'CONDA_DEFAULT_ENV', 'VIRTUAL_ENV', 'LANG', 'LC_ALL', 'HOME', 'TZ', 'JUPYTERHUB_SINGLEUSER_APP'] as const

export interface RunningService {
  readonly config: ServiceConfig
  /** /services/<name>/ when it has a url, else ''. */
  readonly prefix: string
  readonly process: ServiceProcess | undefined
  readonly hasToken: boolean
}

export interface Services {
  readonly list: readonly RunningService[]
  get(name: string): RunningService | undefined
  /** Stops the processes and forgets the tokens. Routes stay (they are the config's, re-set at the next start). */
  stop(): Promise<void>
}

export interface StartServicesOptions {
  /** The hub's API as services reach it, e.g. http://127.0.0.1:8000/hub/api */
  apiUrl: string
  dataDir: string
  log: Logger
  /** The hub's environment; only SERVICE_ENV_KEEP passes to services. Default process.env. */
  env?: Record<string, string | undefined>
  /** Restart delays and SIGTERM grace (tests shorten them). */
  restartBaseMs?: number
  stopGraceMs?: number
}

const registries = new WeakMap<HubContext, Services>()

const EMPTY: Services = { list: [], get: () => undefined, stop: async () => {} }

/** The services the hub runs (none before startServices, e.g. in tests of the API alone). */
export function servicesOf(hub: HubContext): Services {
  return registries.get(hub) ?? EMPTY
}

export function servicePrefix(name: string): string {
  return `/services/${name}/`
}

/** The scopes a service's token holds: its own, plus the admin role's when admin. */
export function serviceScopes(config: ServiceConfig): ReadonlySet<string> {
  return expandScopes(config.admin ? [...(ROLES.admin ?? []), ...config.scopes] : config.scopes)
}

/** JupyterHub's environment for a service process. */
export function serviceEnv(config: ServiceConfig, token: string | undefined, apiUrl: string, base: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const key of SERVICE_ENV_KEEP) {
    const value = base[key]
    if (value !== undefined) env[key] = value
  }
  Object.assign(env, config.environment)
  env.JUPYTERHUB_SERVICE_NAME = config.name
  env.JUPYTERHUB_API_URL = apiUrl
  env.JUPYTERHUB_BASE_URL = '/'
  env.JUPYTERHUB_HOST = ''
  env.JUPYTERHUB_SERVICE_PREFIX = servicePrefix(config.name)
  if (token !== undefined) {
    env.JUPYTERHUB_API_TOKEN = token
    env.JPY_API_TOKEN = token
  }
  if (config.url !== undefined) env.JUPYTERHUB_SERVICE_URL = config.url
  return env
}

/** Sets the /services/<name> routes of `configs` and removes service routes no longer configured. */
export async function syncServiceRoutes(hub: HubContext, configs: readonly ServiceConfig[]): Promise<void> {
  const wanted = new Map<string, ServiceConfig>()
  for (const c of configs) if (c.url !== undefined) wanted.set(c.name, c)
  const stale: string[] = []
  for (const [routePath, data] of hub.routes.list()) {
    if (typeof data.service !== 'string') continue
    const want = wanted.get(data.service)
    if (want === undefined || routePath !== servicePrefix(data.service).slice(0, -1)) stale.push(routePath)
  }
  for (const routePath of stale) await hub.routes.delete(routePath)
  for (const c of wanted.values()) {
    const current = hub.routes.get(servicePrefix(c.name))
    if (current?.data.target === c.url && current?.data.service === c.name) continue
    await hub.routes.set(servicePrefix(c.name), { target: c.url!, service: c.name })
  }
}

export async function startServices(hub: HubContext, configs: readonly ServiceConfig[], options: StartServicesOptions): Promise<Services> {
  const { log } = options
  await syncServiceRoutes(hub, configs)
  const logDir = path.join(options.dataDir, 'logs', 'services')
  if (configs.some((c) => c.command !== undefined)) await fs.mkdir(logDir, { recursive: true, mode: 0o700 })
  const list: RunningService[] = []
  for (const config of configs) {
    const token = config.apiToken ?? (config.command !== undefined ? TOKEN_PREFIX + randomBytes(32).toString('base64url') : undefined)
    if (token !== undefined) acceptServiceToken(hub, token, { name: config.name, admin: config.admin, scopes: serviceScopes(config) })
    let proc: ServiceProcess | undefined
    if (config.command !== undefined) {
      proc = new ServiceProcess({
        name: config.name,
        argv: config.command,
        env: serviceEnv(config, token, options.apiUrl, options.env ?? process.env),
        cwd: config.cwd === undefined ? options.dataDir : path.resolve(options.dataDir, config.cwd),
        logFile: path.join(logDir, `${config.name}.log`),
        log,
        ...(options.restartBaseMs === undefined ? {} : { restartBaseMs: options.restartBaseMs }),
        ...(options.stopGraceMs === undefined ? {} : { stopGraceMs: options.stopGraceMs }),
      })
      proc.start()
    }
    list.push({ config, prefix: config.url === undefined ? '' : servicePrefix(config.name), process: proc, hasToken: token !== undefined })
    log.info({ service: config.name, url: config.url, command: config.command, scopes: config.scopes, admin: config.admin }, `service '${config.name}' ${config.url === undefined ? '' : `at ${servicePrefix(config.name)} → ${config.url}`}${config.command === undefined ? '' : `${config.url === undefined ? '' : ', '}run by the hub`}`)
  }
  const byName = new Map(list.map((s) => [s.config.name, s]))
  let stopping: Promise<void> | undefined
  const services: Services = {
    list,
    get: (name) => byName.get(name),
    stop: () => {
      stopping ??= (async () => {
        await Promise.all(list.map((s) => s.process?.stop()))
        forgetServiceTokens(hub)
        registries.delete(hub)
      })()
      return stopping
    },
  }
  registries.set(hub, services)
  return services
}
