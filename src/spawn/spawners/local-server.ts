/**
 * What the `process` and `system-user` spawners share: run a server program
 * as a detached local process on a free port of 127.0.0.1, described by a
 * state that survives a hub restart ({pid, pgid, startTime, port, cmd}).
 * They differ only in the account the process runs as.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Json, Progress, SpawnContext, SpawnResult, Spawner } from '../spawner.ts'
import { SpawnError } from '../errors.ts'
import { fillPlaceholders, resolveCommand, rootArgs, type CommandSetting } from './command.ts'
import { serverAddress } from './server-address.ts'
import { exitReason, launch } from './launch.ts'
import { isSameProcessAlive, stopProcessGroup } from './process-identity.ts'

/** The Unix account a server runs as. uid/gid undefined = the hub's own. */
export interface LocalAccount {
  username: string
  uid?: number
  gid?: number
  /** HOME for the server. */
  home: string
  shell: string
  /** Working directory (process: the lifecycle's workDir; system-user: the home). */
  workDir: string
  /** True when the server will run as root (adds --allow-root for Jupyter). */
  root: boolean
}

export interface LocalServerOptions {
  /** 'auto' (default), 'demo' or an argv with placeholders. */
  cmd?: CommandSetting
  /** Treat a custom cmd as jupyterhub-singleuser (true) or not (false); default: by its file name. */
  jupyterhub?: boolean
  /** Extra environment for every server (after the hub's). */
  env?: Record<string, string>
  /** PATH to find the command on and to give the server (default: the hub's PATH). */
  path?: string
  /** SIGTERM → SIGKILL grace (default 5000 ms). */
  stopGraceMs?: number
}

export interface LocalServerState {
  pid: number
  pgid: number
  startTime: string | null
  port: number
  cmd: string[]
  kind: string
}

const PASSED_THROUGH = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ'] as const

/** Reads a LocalServerState back from persisted JSON; null when it is not one. */
export function readLocalState(state: Json): LocalServerState | null {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return null
  const { pid, pgid, port, startTime } = state
  if (typeof pid !== 'number' || typeof pgid !== 'number' || typeof port !== 'number') return null
  // startTime tells a recycled pid from ours (process-identity.ts): a string, or null/absent when /proc had none.
  if (startTime !== undefined && startTime !== null && typeof startTime !== 'string') return null
  return state as unknown as LocalServerState
}

export function createLocalSpawner(
  name: string,
  options: LocalServerOptions,
  account: (ctx: SpawnContext) => Promise<LocalAccount>,
): Spawner {
  const pathVar = options.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'
  const graceMs = options.stopGraceMs ?? 5000

  return {
    name,

    async start(ctx: SpawnContext, progress: (p: Progress) => void): Promise<SpawnResult> {
      progress({ progress: 10, message: 'Preparing the server' })
      const who = await account(ctx)
      const command = resolveCommand(options.cmd ?? 'auto', pathVar, options.jupyterhub === undefined ? {} : { jupyterhub: options.jupyterhub })
      await fs.mkdir(who.workDir, { recursive: true, mode: 0o700 })
      if (who.uid !== undefined && who.gid !== undefined) await fs.chown(who.workDir, who.uid, who.gid).catch(() => {})
      await fs.mkdir(path.dirname(ctx.logFile), { recursive: true, mode: 0o700 })

      const inherited: Record<string, string> = {}
      for (const key of PASSED_THROUGH) if (process.env[key] !== undefined) inherited[key] = process.env[key]
      const { ip, port, token, env, placeholders: values } = await serverAddress(ctx, command, who, { path: pathVar, inherited, ...(options.env === undefined ? {} : { admin: options.env }) })
      const args = [...fillPlaceholders(command.args, values), ...(who.root ? rootArgs(command.kind) : [])]
      const shown = [command.file, ...fillPlaceholders(command.args, { ...values, token: '***' })]
      await fs.appendFile(ctx.logFile, `--- ${new Date().toISOString()} monohub starts ${ctx.baseUrl} as ${who.username}: ${shown.join(' ')}\n`, { mode: 0o600 })

      if (ctx.signal.aborted) throw new SpawnError('SPAWN_CANCELLED', 500, `start of ${ctx.baseUrl} was cancelled before the process was launched`)
      const launched = await launch({
        file: command.file, args, env, cwd: who.workDir, logFile: ctx.logFile,
        ...(who.uid === undefined ? {} : { uid: who.uid }),
        ...(who.gid === undefined ? {} : { gid: who.gid }),
      })
      progress({ progress: 40, message: `Server process started (pid ${launched.pid}); waiting for it to answer` })
      const state: LocalServerState = { pid: launched.pid, pgid: launched.pid, startTime: launched.startTime, port, cmd: shown, kind: command.kind }
      return { url: `http://${ip}:${port}`, state: state as unknown as Json, ...(token === undefined ? {} : { token }) }
    },

    async poll(state: Json) {
      const s = readLocalState(state)
      return s !== null && isSameProcessAlive(s.pid, s.startTime) ? 'running' : 'stopped'
    },

    async stop(state: Json) {
      const s = readLocalState(state)
      if (s !== null) await stopProcessGroup(s.pgid, s.startTime, graceMs)
    },

    describeExit(state: Json) {
      const s = readLocalState(state)
      return s === null ? undefined : exitReason(s.pid)
    },
  }
}
