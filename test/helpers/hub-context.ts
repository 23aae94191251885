/**
 * A HubContext for tests of the hub's API and identity, without the server:
 * the hub's records in a durable store on a temporary data dir (or in
 * memory), fixed secrets, a silent logger, an injectable clock. Plus the
 * small things those tests keep doing: add a user, mint a token, log in
 * (cookie + XSRF token), serve the API plugin on 127.0.0.1.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { pino } from 'pino'
import type { Test } from 'tap'
import type { HubContext, HubSettings } from '../../src/hub/context.ts'
import type { HubOp, HubState, UserRecord } from '../../src/auth/records.ts'
import { emptyHubState, hubReducer, newUserRecord } from '../../src/auth/records.ts'
import type { Store } from '../../src/store/store.ts'
import { memoryStore } from '../../src/store/memory-store.ts'
import { openHubStore } from '../../src/hub/hub-store.ts'
import { Sessions, SESSION_COOKIE_NAME } from '../../src/auth/sessions.ts'
import { createCsrfToken, sessionBinding } from '../../src/auth/csrf.ts'
import { createToken } from '../../src/auth/tokens.ts'
import { accessRules } from '../../src/auth/access-rules.ts'
import { LoginThrottle } from '../../src/auth/throttle.ts'
import { LocalAuthenticator } from '../../src/auth/authenticators/local.ts'
import { RouteTable } from '../../src/proxy/route-table.ts'
import { Routes, emptyRouteState, routeReducer, type Route, type RouteOp, type RouteState } from '../../src/proxy/route-store.ts'
import { apiPlugin } from '../../src/hub/api/index.ts'
import { ServerManager } from '../../src/spawn/lifecycle.ts'
import { processSpawner } from '../../src/spawn/spawners/process.ts'

export interface TestHubContext {
  hub: HubContext
  /** Temporary data dir (also made for memory stores, so tests can put files in it). */
  dataDir: string
  /** Moves the injectable clock. */
  advance(ms: number): void
}

export interface TestHubOptions {
  /** Keep the records in `<dataDir>/hub.json` + journal (default: in memory). */
  durable?: boolean
  settings?: Partial<HubSettings>
  /** Clock start (default 2026-01-01T00:00:00Z). */
  start?: number
}

export const T0 = Date.UTC(2026, 0, 1)

export async function makeHubContext(t: Test, options: TestHubOptions = {}): Promise<TestHubContext> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'monohub-hub-'))
  let store: Store<HubState, HubOp>
  if (options.durable === true) {
    store = await openHubStore(dataDir)
  } else {
    store = memoryStore<HubState, HubOp>({ initial: emptyHubState, apply: hubReducer })
  }
  t.teardown(async () => {
    await store.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  let clock = options.start ?? T0
  const now = () => clock
  const table = new RouteTable<Route>()
  const routes = new Routes(table, memoryStore<RouteState, RouteOp>({ initial: emptyRouteState, apply: routeReducer(table) }), now)
  // Users' servers: the demo server as a child of this process (tests that start one stop it).
  const servers = await ServerManager.open({ dataDir, routes, spawner: processSpawner({ cmd: 'demo', allowRoot: true }), pollIntervalMs: 0, now })
  t.teardown(async () => {
    await servers.stopAll()
    await servers.close()
  })
  const hub: HubContext = {
    settings: { publicUrl: undefined, secureCookies: false, allowSignup: false, minPasswordLength: 8, jupyterhubVersion: '5.4.0', ...options.settings },
    log: pino({ level: 'silent' }),
    store,
    routes,
    sessions: new Sessions({ keys: ['test-cookie-key-'.repeat(3)] }),
    secrets: { cookieKeys: ['test-cookie-key-'.repeat(3)], csrfKey: 'test-csrf-key-'.repeat(3), cookieKeysFrom: 'file', file: path.join(dataDir, 'secrets.json') },
    authenticator: new LocalAuthenticator({ state: () => store.state, commit: (op) => store.commit(op), now, scrypt: { ln: 4, r: 8, p: 1 } }),
    rules: accessRules({ allowAll: true }),
    throttle: new LoginThrottle(),
    servers,
    now,
  }
  return { hub, dataDir, advance: (ms) => void (clock += ms) }
}

export async function addUser(hub: HubContext, name: string, fields: Partial<Omit<UserRecord, 'name' | 'created'>> = {}): Promise<UserRecord> {
  const user = newUserRecord(name, hub.now(), fields)
  await hub.store.commit({ op: 'user.put', user })
  return user
}

/** A stored token for `owner`; returns the token itself and its id. */
export async function addToken(hub: HubContext, owner: string, spec: { scopes?: string[]; expiresIn?: number; note?: string } = {}): Promise<{ token: string; id: string }> {
  const { token, record } = createToken({ owner, now: hub.now(), ...spec })
  await hub.store.commit({ op: 'token.put', token: record })
  return { token, id: record.id }
}

/** A logged-in browser's Cookie header and a matching X-XSRFToken value. */
export function login(hub: HubContext, name: string): { cookie: string; xsrf: string; sid: string } {
  const user = hub.store.state.users[name]
  if (user === undefined) throw new Error(`no user ${name}`)
  const { value, session } = hub.sessions.issueSession(name, user.sessionGeneration, hub.now())
  return { cookie: `${SESSION_COOKIE_NAME}=${value}`, xsrf: createCsrfToken(hub.secrets.csrfKey, sessionBinding(session.sid)), sid: session.sid }
}

/** The API plugin on its own fastify instance under /hub/api, listening on 127.0.0.1:<random>. */
export async function serveApi(t: Test, hub: HubContext): Promise<{ url: string; app: FastifyInstance }> {
  const app = Fastify()
  await app.register(apiPlugin, { hub, prefix: '/hub/api' })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { url, app }
}

export interface ApiCall {
  token?: string
  cookie?: string
  xsrf?: string
  body?: unknown
  headers?: Record<string, string>
}

export interface ApiAnswer {
  status: number
  headers: Headers
  /** Parsed JSON, or undefined for an empty body. */
  json: any
}

/** One API request: `call(url, 'GET', '/users', { token })` → status, headers, parsed JSON. */
export async function call(baseUrl: string, method: string, apiPath: string, options: ApiCall = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `token ${options.token}`
  if (options.cookie !== undefined) headers.cookie = options.cookie
  if (options.xsrf !== undefined) headers['x-xsrftoken'] = options.xsrf
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const response = await fetch(`${baseUrl}/hub/api${apiPath}`, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) })
  const text = await response.text()
  return { status: response.status, headers: response.headers, json: text.length === 0 ? undefined : JSON.parse(text) }
}
