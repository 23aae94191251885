/**
 * Users' servers on the hub's side: the Spawner the config asks for, the
 * ServerManager that runs them (opened on the hub's data dir and route
 * table, so servers that outlived a hub restart are re-adopted), and one
 * line for the start-up log that says what runs when someone presses Start.
 * A root hub's default runs the demo server, as `nobody` when it can
 * (src/spawn/root-default.ts, root-account.ts).
 */
import path from 'node:path'
import type { HubConfig } from '../config/hub-schema.ts'
import type { HubContext } from './context.ts'
import type { SpawnerConfig } from '../config/spawner-schema.ts'
import type { Routes } from '../proxy/route-store.ts'
import type { Spawner } from '../spawn/spawner.ts'
import type { ServerEnvProvider } from '../spawn/server-env.ts'
import { ServerManager, type ServerEvent, type SpawnLogger } from '../spawn/lifecycle.ts'
import { processSpawner } from '../spawn/spawners/process.ts'
import { systemUserSpawner } from '../spawn/spawners/system-user.ts'
import { systemdSpawner } from '../spawn/spawners/systemd.ts'
import { scriptSpawner } from '../spawn/spawners/script.ts'
import { demoServerEntry, resolveCommand, type CommandSetting } from '../spawn/spawners/command.ts'
import { decideForRoot, ROOT_JUPYTER_ADVICE, type RootDecision } from '../spawn/root-default.ts'
import { findDemoAccount, type DemoAccount, type DemoAccountProbe, type DemoAccountResult } from '../spawn/root-account.ts'
import { expandWorkDir } from '../spawn/server-names.ts'

/**
 * How a root hub runs the default (demo) servers — decided once at start-up
 * by openServers and shown in the start-up log. Keyed by the config object
 * the hub was built from.
 */
export type RootDemoSetup =
  | { as: 'account'; account: DemoAccount }
  | { as: 'root'; reason: string; fix: string }

const rootSetups = new WeakMap<HubConfig, RootDemoSetup>()

/**
 * Setting keys the admin chose (flag, env, config file), when the config
 * loader recorded them as `explicitKeys` on the config object. Without that
 * record, a `process` spawner counts as the default: the root default then
 * runs the demo (never user code) instead of refusing.
 */
function spawnerChosen(config: HubConfig): boolean {
  if (config.explicitKeys !== undefined) return config.explicitKeys.has('spawner')
  return config.spawner.kind !== 'process'
}

/** What a root hub does with the local spawner the config names (see root-default.ts). */
export function rootDecision(config: HubConfig, uid: number = process.getuid?.() ?? -1): RootDecision {
  const kind = config.spawner.kind
  if (kind !== 'process' && kind !== 'demo') return { mode: 'unchanged' }
  return decideForRoot({ uid, allowRoot: config.allowRoot, spawnerKind: kind, spawnerChosen: spawnerChosen(config), cmd: config.cmd })
}

/** Tells the demo server why it runs, for its page. */
const ROOT_DEMO_ENV = { MONOHUB_DEMO_REASON: 'root-hub' }

/**
 * The spawner the config names (or the custom object a config module passed).
 * `rootSetup`: how a root hub runs the default demo (from openServers' probe);
 * without it, a root hub's default refuses like an explicit choice.
 */
export function spawnerFromConfig(config: HubConfig, options: { uid?: number; rootSetup?: RootDemoSetup } = {}): Spawner {
  const s: SpawnerConfig = config.spawner
  const cmd: CommandSetting = config.cmd
  if (s.kind === 'process' || s.kind === 'demo') {
    const root = rootDecision(config, options.uid)
    const setup = options.rootSetup
    const uid = options.uid
    const getuid = uid === undefined ? {} : { getuid: () => uid }
    if (root.mode === 'demo' && setup !== undefined) {
      // The one exception to the root refusal: the built-in demo, which runs
      // no user code — as an unprivileged account when it can (root-account.ts).
      return setup.as === 'account'
        ? processSpawner({ cmd: 'demo', runAs: setup.account, env: ROOT_DEMO_ENV, ...getuid })
        : processSpawner({ cmd: 'demo', rootDemo: true, env: ROOT_DEMO_ENV, ...getuid })
    }
    return processSpawner({ cmd: s.kind === 'demo' ? 'demo' : cmd, allowRoot: config.allowRoot, ...getuid })
  }
  switch (s.kind) {
    case 'custom':
      return s.spawner
    case 'system-user': {
      const { kind: _, ...options } = s
      return systemUserSpawner({ cmd, ...options })
    }
    case 'systemd': {
      const { kind: _, ...options } = s
      return systemdSpawner({ cmd, ...options })
    }
    case 'script': {
      const { kind: _, pollTimeout, stopTimeout, ...options } = s
      return scriptSpawner({
        ...options,
        ...(pollTimeout === undefined ? {} : { pollTimeoutMs: pollTimeout * 1000 }),
        ...(stopTimeout === undefined ? {} : { stopTimeoutMs: stopTimeout * 1000 }),
      })
    }
  }
}

/**
 * Once, at start-up of a root hub whose default is the demo: can `nobody`
 * run it? Returns how the demo will run; the reason when it must be root.
 */
export async function setUpRootDemo(config: HubConfig, probe: (p: DemoAccountProbe) => Promise<DemoAccountResult> = findDemoAccount): Promise<RootDemoSetup> {
  const usersDir = path.dirname(expandWorkDir(config.serverWorkDir, config.dataDir, 'x'))
  const found = await probe({ execPath: process.execPath, entry: demoServerEntry(), usersDir })
  return found.ok ? { as: 'account', account: found.account } : { as: 'root', reason: found.reason, fix: found.fix }
}

const JUPYTER_ADVICE = 'install Jupyter (e.g. `apt-get install jupyterhub` or `pip install jupyterhub jupyterlab`) and restart with --cmd auto, or name a program with --cmd "…"'

/** The start-up log's words for how a root hub runs the demo. */
function rootDemoText(setup: RootDemoSetup | undefined): string {
  const as = setup === undefined
    ? ''
    : setup.as === 'account'
      ? ` as the unprivileged '${setup.account.username}' account`
      : ` AS ROOT, because ${setup.reason} (to run it as nobody: ${setup.fix})`
  return `the built-in DEMO server${as} (a small page with the user's files and a WebSocket echo, not Jupyter) — the hub runs as root, ` +
    `and Jupyter run by a root hub would give every user a root shell; ${ROOT_JUPYTER_ADVICE}`
}

/** What the start-up log says about users' servers: spawner, command, and plainly when it is the demo. */
export function describeServers(config: HubConfig, env: Record<string, string | undefined> = process.env, uid: number = process.getuid?.() ?? -1): string {
  const kind = config.spawner.kind
  if (kind === 'custom') return `users' servers: custom spawner '${config.spawner.spawner.name}' from the config module`
  if (kind === 'script') return `users' servers: script spawner (start: ${config.spawner.start.join(' ')})`
  const root = rootDecision(config, uid)
  if (root.mode === 'demo') return `users' servers: process spawner running ${rootDemoText(rootSetups.get(config))}`
  let command: string
  try {
    const resolved = resolveCommand(kind === 'demo' ? 'demo' : config.cmd, env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    command = resolved.kind === 'demo'
      ? `the built-in DEMO server (a small page with the user's files and a WebSocket echo, not Jupyter) — to run Jupyter instead, ${JUPYTER_ADVICE}`
      : `${resolved.file}${resolved.kind === 'jupyterhub' ? ' (jupyterhub-singleuser, OAuth with this hub)' : ' (the proxy sends it a per-server token)'}`
  } catch (err) {
    command = `NOTHING RUNNABLE: ${(err as Error).message}`
  }
  const warning = root.mode === 'refuse'
    ? ` — WARNING: the hub runs as root, so the process spawner will refuse to start these servers (they would run as root); ${ROOT_JUPYTER_ADVICE}, or use --cmd demo for the built-in demo server`
    : root.mode === 'root-allowed' ? ' — as root (allowRoot)' : ''
  return `users' servers: ${kind === 'demo' ? 'process' : kind} spawner running ${command}${warning}`
}

export interface OpenServersOptions {
  config: HubConfig
  routes: Routes
  log: SpawnLogger
  /** The hub's part of each server's environment (API token, URLs). */
  serverEnv?: ServerEnvProvider
  onEvent?: (event: ServerEvent) => void
  /** The poll loop's interval (tests shorten it); default the config's serverPollInterval. */
  pollIntervalMs?: number
  /** When a user was created (undefined: no such user); stopped named servers of deleted users are forgotten. */
  userCreated?: (user: string) => number | undefined
  /** Overrides the spawner the config names (tests). */
  spawner?: Spawner
  /** The hub's uid (tests; default process.getuid()). */
  uid?: number
  /** The root demo's account probe (tests; default findDemoAccount). */
  probeDemoAccount?: (p: DemoAccountProbe) => Promise<DemoAccountResult>
  now?: () => number
}

/** Opens the ServerManager on the hub's data dir; running servers are re-adopted before it resolves. */
export async function openServers(options: OpenServersOptions): Promise<ServerManager> {
  const { config } = options
  const uid = options.uid ?? process.getuid?.() ?? -1
  let spawner = options.spawner
  if (spawner === undefined) {
    let rootSetup: RootDemoSetup | undefined
    if (rootDecision(config, uid).mode === 'demo') {
      rootSetup = await setUpRootDemo(config, options.probeDemoAccount)
      rootSetups.set(config, rootSetup)
      if (rootSetup.as === 'root') {
        options.log.warn({ reason: rootSetup.reason }, `the hub runs as root and users' demo servers will run AS ROOT too, because ${rootSetup.reason} — ` +
          `the demo runs no user code (its own page and an echo only); to run it as nobody, ${rootSetup.fix}; ${ROOT_JUPYTER_ADVICE}`)
      }
    }
    spawner = spawnerFromConfig(config, { uid, ...(rootSetup === undefined ? {} : { rootSetup }) })
  }
  return ServerManager.open({
    dataDir: config.dataDir,
    routes: options.routes,
    spawner,
    workDir: config.serverWorkDir,
    startTimeoutMs: config.startTimeout * 1000,
    concurrentSpawnLimit: config.concurrentSpawnLimit,
    allowNamedServers: config.allowNamedServers,
    namedServerLimitPerUser: config.namedServerLimitPerUser,
    log: options.log,
    ...(options.serverEnv === undefined ? {} : { serverEnv: options.serverEnv }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    pollIntervalMs: options.pollIntervalMs ?? config.serverPollInterval * 1000,
    ...(options.userCreated === undefined ? {} : { userCreated: options.userCreated }),
    ...(options.now === undefined ? {} : { now: options.now }),
  })
}

/** How far a server's activity must move before the user's record is rewritten. */
const USER_ACTIVITY_STEP_MS = 60_000

/**
 * Copies servers' activity (proxy traffic, their own reports) into their
 * users' `lastActivity`, so it outlives the server (the admin page's
 * statistics, the API's user model). Writes only when it moved by a minute
 * or more: a few small ops per flush, however busy the servers are.
 */
export async function syncUserActivity(hub: HubContext): Promise<void> {
  const users = hub.store.state.users
  const latest = new Map<string, number>()
  for (const s of hub.servers.list()) {
    if (s.lastActivity === undefined) continue
    if (s.lastActivity > (latest.get(s.user) ?? 0)) latest.set(s.user, s.lastActivity)
  }
  const commits: Promise<void>[] = []
  for (const [name, at] of latest) {
    const user = Object.hasOwn(users, name) ? users[name] : undefined
    if (user === undefined || at < (user.lastActivity ?? 0) + USER_ACTIVITY_STEP_MS) continue
    commits.push(hub.store.commit({ op: 'user.activity', name, at }))
  }
  await Promise.all(commits)
}
