/**
 * The Hub context: everything the hub's web app, its REST API and the proxy's
 * in-process authorization need, built once by the server (src/server) and
 * passed down — never imported as a global. Tests build their own on a
 * temporary data dir.
 */
import type { Logger } from 'pino'
import type { Store } from '../store/store.ts'
import type { Routes } from '../proxy/route-store.ts'
import type { HubOp, HubState } from '../auth/records.ts'
import type { Sessions } from '../auth/sessions.ts'
import type { HubSecrets } from '../auth/secrets.ts'
import type { Authenticator } from '../auth/authenticator.ts'
import type { AccessRules } from '../auth/access-rules.ts'
import type { LoginThrottle } from '../auth/throttle.ts'
import type { ServerManager } from '../spawn/lifecycle.ts'

/** Settings the hub app reads (a subset of the hub config, already validated). */
export interface HubSettings {
  /** Public origin when known (e.g. "https://hub.example.org"); absolute URLs (pagination `next.url`) use it, else the request's Host. */
  publicUrl: string | undefined
  /** Cookies get `Secure` (served over TLS, directly or behind a TLS front end). */
  secureCookies: boolean
  /** Local accounts: self-signup allowed (accounts then wait for an admin's approval). */
  allowSignup: boolean
  minPasswordLength: number
  /** Version reported by GET /hub/api (PEP 440, JupyterHub-compatible). */
  jupyterhubVersion: string
  /** Users may run named servers besides their default one (the home page offers them). */
  allowNamedServers?: boolean
}

export interface HubContext {
  readonly settings: HubSettings
  readonly log: Logger
  /** Users and API tokens; commit() resolves once durable. */
  readonly store: Store<HubState, HubOp>
  /** The proxy's route table (user servers, services). */
  readonly routes: Routes
  readonly sessions: Sessions
  readonly secrets: HubSecrets
  readonly authenticator: Authenticator
  readonly rules: AccessRules
  readonly throttle: LoginThrottle
  /** Users' servers on this node: start, stop, status, progress (src/spawn). */
  readonly servers: ServerManager
  /** Clock, injectable for tests. */
  readonly now: () => number
}
