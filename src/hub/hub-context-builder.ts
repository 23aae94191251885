/**
 * Builds the HubContext from a validated config: opens the hub's durable
 * store (`hub.json` + journal in the data dir), loads or creates the 0600
 * secrets file, and makes the sessions, the authenticator, the access rules
 * and the login throttle. The caller owns the route table and the logger.
 */
import type { Logger } from 'pino'
import type { HubConfig, AuthenticatorConfig } from '../config/hub-schema.ts'
import type { HubContext, HubSettings } from './context.ts'
import type { Routes } from '../proxy/route-store.ts'
import type { Authenticator } from '../auth/authenticator.ts'
import type { ScryptParams } from '../auth/passwords.ts'
import type { Store } from '../store/store.ts'
import { openHubStore } from './hub-store.ts'
import type { HubOp, HubState } from '../auth/records.ts'
import { loadSecrets } from '../auth/secrets.ts'
import { Sessions } from '../auth/sessions.ts'
import { LoginThrottle } from '../auth/throttle.ts'
import { AllowlistFile, accessRules, type AccessRules } from '../auth/access-rules.ts'
import { LocalAuthenticator } from '../auth/authenticators/local.ts'
import { oidcAuthenticator } from '../auth/authenticators/oidc.ts'
import { headerAuthenticator } from '../auth/authenticators/header.ts'
import { githubAuthenticator } from '../auth/authenticators/github.ts'
import { ConfigError } from '../config/errors.ts'
import type { ServerEnvProvider } from '../spawn/server-env.ts'
import type { ServerEvent } from '../spawn/lifecycle.ts'
import type { Spawner } from '../spawn/spawner.ts'
import { openServers } from './hub-servers.ts'

/** The JupyterHub version the API reports (PEP 440; jupyterhub-singleuser checks it). */
export const JUPYTERHUB_COMPAT_VERSION = '5.4.0'

export interface BuildHubOptions {
  config: HubConfig
  routes: Routes
  log: Logger
  env?: Record<string, string | undefined>
  now?: () => number
  /** Password hashing cost (tests lower it); default scrypt parameters otherwise. */
  scrypt?: ScryptParams
  /** Cookies get Secure (the server serves TLS, or publicUrl is https). */
  tls?: boolean
  /** The hub's part of each user server's environment (API token, URLs); default: user and prefix only. */
  serverEnv?: ServerEnvProvider
  /** Server lifecycle events (ready, stopped, died …), e.g. to revoke a stopped server's API token. */
  onServerEvent?: (event: ServerEvent, hub: HubContext) => void
  /** How often running servers are polled (tests shorten it). */
  serverPollIntervalMs?: number
  /** A spawner object instead of the one the config names (tests). */
  spawner?: Spawner
}

export interface BuiltHub {
  hub: HubContext
  /** Closes the server manager (servers keep running), waits for pending changes to be durable and releases the stores' locks. */
  close(): Promise<void>
}

export function hubSettings(config: HubConfig, tls: boolean): HubSettings {
  return {
    publicUrl: config.publicUrl,
    secureCookies: tls || config.publicUrl?.startsWith('https:') === true,
    allowSignup: config.allowSignup,
    minPasswordLength: config.minPasswordLength,
    jupyterhubVersion: JUPYTERHUB_COMPAT_VERSION,
    allowNamedServers: config.allowNamedServers,
  }
}

async function makeAuthenticator(config: AuthenticatorConfig, settings: HubSettings, store: Store<HubState, HubOp>, now: () => number, scrypt: ScryptParams | undefined): Promise<Authenticator> {
  const { kind, ...options } = config as AuthenticatorConfig & Record<string, unknown>
  switch (config.kind) {
    case 'local':
      return new LocalAuthenticator({
        state: () => store.state,
        commit: (op) => store.commit(op),
        now,
        allowSignup: settings.allowSignup,
        minPasswordLength: settings.minPasswordLength,
        ...(scrypt === undefined ? {} : { scrypt }),
      })
    case 'oidc':
      return oidcAuthenticator(options as never)
    case 'header':
      return headerAuthenticator(options as never)
    case 'github':
      return githubAuthenticator(options as never)
    case 'custom':
      return config.authenticator
    default:
      throw new ConfigError(`unknown authenticator kind '${String(kind)}'`)
  }
}

/**
 * GitHub's `allowedOrganizations` are allowed groups: the GitHub
 * authenticator reports a user's organisations (lower-cased) as groups.
 */
function allowedGroupsOf(config: HubConfig): string[] {
  const auth = config.authenticator
  if (auth.kind !== 'github' || auth.allowedOrganizations === undefined) return config.allowedGroups
  return [...config.allowedGroups, ...auth.allowedOrganizations.map((org) => org.trim().toLowerCase())]
}

/** Access rules whose allowlist is re-read (one stat) whenever a login asks for it. */
function rulesFor(config: HubConfig, authenticator: Authenticator): AccessRules {
  const base = accessRules({
    // Local accounts are their own allowlist: whoever has one may log in.
    allowAll: config.allowAll ?? authenticator instanceof LocalAuthenticator,
    allowedUsers: config.allowedUsers,
    adminUsers: config.adminUsers,
    allowedGroups: allowedGroupsOf(config),
    adminGroups: config.adminGroups,
  })
  if (config.allowlistFile === undefined) return base
  const file = new AllowlistFile(config.allowlistFile)
  return {
    ...base,
    get allowlist() {
      return file.names()
    },
  }
}

export async function buildHubContext(options: BuildHubOptions): Promise<BuiltHub> {
  const { config, routes, log } = options
  const now = options.now ?? Date.now
  const settings = hubSettings(config, options.tls ?? false)
  const secrets = await loadSecrets(config.dataDir, options.env ?? {})
  const store = await openHubStore(config.dataDir, { onWarning: (message) => log.warn(message) })
  let servers: HubContext['servers'] | undefined
  try {
    const authenticator = await makeAuthenticator(config.authenticator, settings, store, now, options.scrypt)
    let built: HubContext | undefined
    const onServerEvent = options.onServerEvent
    // Re-adoption reports servers that died while the hub was down before the context exists;
    // they are handed on once it does (so their credentials are revoked like any other's).
    const early: ServerEvent[] = []
    servers = await openServers({
      config, routes, log: log.child({ part: 'spawn' }), now,
      userCreated: (name) => (Object.hasOwn(store.state.users, name) ? store.state.users[name]!.created : undefined),
      ...(options.serverEnv === undefined ? {} : { serverEnv: options.serverEnv }),
      ...(onServerEvent === undefined ? {} : { onEvent: (event: ServerEvent) => { if (built !== undefined) onServerEvent(event, built); else early.push(event) } }),
      ...(options.serverPollIntervalMs === undefined ? {} : { pollIntervalMs: options.serverPollIntervalMs }),
      ...(options.spawner === undefined ? {} : { spawner: options.spawner }),
    })
    const hub: HubContext = {
      settings,
      log,
      store,
      routes,
      sessions: new Sessions({ keys: secrets.cookieKeys, lifetimeMs: config.sessionLifetime * 1000, idleTimeoutMs: config.sessionIdleTimeout * 1000 }),
      secrets,
      authenticator,
      rules: rulesFor(config, authenticator),
      throttle: new LoginThrottle(),
      servers,
      now,
    }
    built = hub
    for (const event of early.splice(0)) onServerEvent?.(event, hub)
    const openServersManager = servers
    return {
      hub,
      close: async () => {
        await openServersManager.close()
        await store.close()
      },
    }
  } catch (err) {
    await servers?.close()
    await store.close()
    throw err
  }
}
