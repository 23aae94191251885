/**
 * Users' servers on the hub's side: the Spawner the config asks for, the
 * ServerManager that runs them (opened on the hub's data dir and route
 * table, so servers that outlived a hub restart are re-adopted), and one
 * line for the start-up log that says what runs when someone presses Start.
 */
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
import { resolveCommand, type CommandSetting } from '../spawn/spawners/command.ts'

/** The spawner the config names (or the custom object a config module passed). */
export function spawnerFromConfig(config: HubConfig): Spawner {
  const s: SpawnerConfig = config.spawner
  const cmd: CommandSetting = config.cmd
  switch (s.kind) {
    case 'custom':
      return s.spawner
    case 'demo':
      return processSpawner({ cmd: 'demo', allowRoot: config.allowRoot })
    case 'process':
      return processSpawner({ cmd, allowRoot: config.allowRoot })
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

const JUPYTER_ADVICE = 'install Jupyter (e.g. `apt-get install jupyterhub` or `pip install jupyterhub jupyterlab`) and restart with --cmd auto, or name a program with --cmd "…"'

/** What the start-up log says about users' servers: spawner, command, and plainly when it is the demo. */
export function describeServers(config: HubConfig, env: Record<string, string | undefined> = process.env): string {
  const kind = config.spawner.kind
  if (kind === 'custom') return `users' servers: custom spawner '${config.spawner.spawner.name}' from the config module`
  if (kind === 'script') return `users' servers: script spawner (start: ${config.spawner.start.join(' ')})`
  let command: string
  try {
    const resolved = resolveCommand(kind === 'demo' ? 'demo' : config.cmd, env.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    command = resolved.kind === 'demo'
      ? `the built-in DEMO server (a small page with the user's files and a WebSocket echo, not Jupyter) — to run Jupyter instead, ${JUPYTER_ADVICE}`
      : `${resolved.file}${resolved.kind === 'jupyterhub' ? ' (jupyterhub-singleuser, OAuth with this hub)' : ' (the proxy sends it a per-server token)'}`
  } catch (err) {
    command = `NOTHING RUNNABLE: ${(err as Error).message}`
  }
  const root = kind === 'process' && process.getuid?.() === 0 && !config.allowRoot
    ? ' — WARNING: the hub runs as root, so the process spawner will refuse to start servers; use --spawner system-user or --spawner systemd (or --allow-root)'
    : ''
  return `users' servers: ${kind === 'demo' ? 'process' : kind} spawner running ${command}${root}`
}

export interface OpenServersOptions {
  config: HubConfig
  routes: Routes
  log: SpawnLogger
  /** The hub's part of each server's environment (API token, URLs). */
  serverEnv?: ServerEnvProvider
  onEvent?: (event: ServerEvent) => void
  /** The poll loop's interval (tests shorten it); default the manager's 30 s. */
  pollIntervalMs?: number
  /** Overrides the spawner the config names (tests). */
  spawner?: Spawner
  now?: () => number
}

/** Opens the ServerManager on the hub's data dir; running servers are re-adopted before it resolves. */
export function openServers(options: OpenServersOptions): Promise<ServerManager> {
  const { config } = options
  return ServerManager.open({
    dataDir: config.dataDir,
    routes: options.routes,
    spawner: options.spawner ?? spawnerFromConfig(config),
    workDir: config.serverWorkDir,
    startTimeoutMs: config.startTimeout * 1000,
    concurrentSpawnLimit: config.concurrentSpawnLimit,
    allowNamedServers: config.allowNamedServers,
    namedServerLimitPerUser: config.namedServerLimitPerUser,
    log: options.log,
    ...(options.serverEnv === undefined ? {} : { serverEnv: options.serverEnv }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
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
