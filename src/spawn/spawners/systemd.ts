/**
 * The `systemd` spawner: each server is a transient unit
 * (`systemd-run --unit monohub-<name>[-<server>] …`) running as the user's
 * Unix account, with MemoryMax / CPUQuota from the options form. Units
 * outlive the hub; poll = `systemctl is-active`, stop = `systemctl stop`.
 *
 * The environment (it holds the server's tokens) goes into a 0600 file that
 * systemd reads as root, not onto the command line, where `systemctl show`
 * would print it to every local user.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Json, OptionsFormSpec, Progress, SpawnContext, SpawnResult, Spawner } from '../spawner.ts'
import { SpawnError } from '../errors.ts'
import { fillPlaceholders, resolveCommand, type CommandSetting } from './command.ts'
import { serverAddress } from './server-address.ts'
import { runCommand, showCommand, type CommandRunner } from './run-command.ts'
import { resolveUnixAccount, type UnixAccountOptions } from './unix-account.ts'

export interface SystemdSpawnerOptions extends UnixAccountOptions {
  cmd?: CommandSetting
  jupyterhub?: boolean
  env?: Record<string, string>
  /** PATH to find the command on and to give the server (default: the hub's). */
  path?: string
  /** Unit name prefix (default 'monohub-'). */
  unitPrefix?: string
  /** Memory limits offered in the options form, e.g. ['1G', '2G', '4G'] (first = default); [] = no limit. */
  memoryChoices?: string[]
  /** Most CPUs a user may ask for (default 2); 0 = no CPU limit. */
  maxCpus?: number
  /** Extra unit properties, e.g. ['TasksMax=512', 'ProtectSystem=strict']. */
  properties?: string[]
  run?: CommandRunner
}

export interface SystemdState {
  unit: string
  port: number
  uid: number
  gid: number
  cmd: string[]
  kind: string
}

/** systemd-escape for one unit-name component: [A-Za-z0-9:_.] stay (not a leading '.'), every other byte becomes \xHH. */
export function systemdEscape(text: string): string {
  let out = ''
  const bytes = Buffer.from(text, 'utf8')
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    const ch = String.fromCharCode(b)
    if (b < 0x80 && /[A-Za-z0-9:_.]/.test(ch) && !(i === 0 && ch === '.')) out += ch
    else out += `\\x${b.toString(16).padStart(2, '0')}`
  }
  return out
}

/** 'monohub-alice.service', 'monohub-alice-lab.service' ('-' inside names is escaped, so the split is unambiguous). */
export function unitName(user: string, server: string, prefix = 'monohub-'): string {
  return `${prefix}${systemdEscape(user)}${server === '' ? '' : `-${systemdEscape(server)}`}.service`
}

export interface SystemdRunPlan {
  unit: string
  uid: number
  gid: number
  workDir: string
  envFile: string
  logFile: string
  memoryMax?: string
  cpuQuotaPercent?: number
  properties: string[]
  argv: string[]
}

/** The systemd-run arguments for a plan (pure, so tests can check them exactly). */
export function systemdRunArgs(plan: SystemdRunPlan): string[] {
  const p = (value: string): string[] => ['--property', value]
  return [
    '--unit', plan.unit,
    '--uid', String(plan.uid),
    '--gid', String(plan.gid),
    '--working-directory', plan.workDir,
    '--collect',
    '--quiet',
    ...p(`EnvironmentFile=${plan.envFile}`),
    ...p(`StandardOutput=append:${plan.logFile}`),
    ...p(`StandardError=append:${plan.logFile}`),
    ...(plan.memoryMax === undefined ? [] : p(`MemoryMax=${plan.memoryMax}`)),
    ...(plan.cpuQuotaPercent === undefined ? [] : p(`CPUQuota=${plan.cpuQuotaPercent}%`)),
    ...plan.properties.flatMap(p),
    '--',
    ...plan.argv,
  ]
}

/** An EnvironmentFile: KEY="value" lines with systemd's quoting. */
export function environmentFile(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `${k}="${v.replace(/[\\"$`]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"\n`).join('')
}

function readState(state: Json): SystemdState | null {
  if (typeof state !== 'object' || state === null || Array.isArray(state) || typeof state.unit !== 'string') return null
  return state as unknown as SystemdState
}

export function systemdSpawner(options: SystemdSpawnerOptions = {}): Spawner {
  const run = options.run ?? runCommand
  const pathVar = options.path ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'
  const memoryChoices = options.memoryChoices ?? ['2G', '1G', '4G', '8G']
  const maxCpus = options.maxCpus ?? 2
  const form: OptionsFormSpec = {
    fields: [
      ...(memoryChoices.length === 0 ? [] : [{ name: 'memory', label: 'Memory', type: 'select' as const, choices: memoryChoices.map((m) => ({ value: m, label: m })), default: memoryChoices[0]! }]),
      ...(maxCpus <= 0 ? [] : [{ name: 'cpus', label: 'CPUs', type: 'number' as const, min: 0.1, max: maxCpus, step: 0.1, default: Math.min(1, maxCpus), unit: 'CPUs' }]),
    ],
  }

  return {
    name: 'systemd',
    optionsForm: () => form,

    async start(ctx: SpawnContext, progress: (p: Progress) => void): Promise<SpawnResult> {
      progress({ progress: 10, message: 'Looking up the user\'s Unix account' })
      const account = await resolveUnixAccount(ctx.user, options)
      const command = resolveCommand(options.cmd ?? 'auto', pathVar, options.jupyterhub === undefined ? {} : { jupyterhub: options.jupyterhub })
      const { ip, port, token, env, placeholders: values } = await serverAddress(ctx, command, account, { path: pathVar, ...(options.env === undefined ? {} : { admin: options.env }) })
      const logDir = path.dirname(ctx.logFile)
      await fs.mkdir(logDir, { recursive: true, mode: 0o700 })
      const envFile = path.join(logDir, `${path.basename(ctx.logFile, '.log')}.env`)
      await fs.writeFile(envFile, environmentFile(env), { mode: 0o600 })
      await fs.chmod(envFile, 0o600)
      const memory = ctx.options.memory
      const cpus = ctx.options.cpus
      const plan: SystemdRunPlan = {
        unit: unitName(ctx.user, ctx.serverName, options.unitPrefix),
        uid: account.uid, gid: account.gid, workDir: account.home, envFile, logFile: ctx.logFile,
        ...(typeof memory === 'string' ? { memoryMax: memory } : {}),
        ...(typeof cpus === 'number' ? { cpuQuotaPercent: Math.round(cpus * 100) } : {}),
        properties: options.properties ?? [],
        argv: [command.file, ...fillPlaceholders(command.args, values)],
      }
      // A unit of the same name left over (failed, not collected) would make systemd-run fail.
      await run('systemctl', ['reset-failed', plan.unit])
      const args = systemdRunArgs(plan)
      const out = await run('systemd-run', args)
      if (out.code !== 0) {
        throw new SpawnError('SYSTEMD_RUN', 500, `${showCommand('systemd-run', args.map((a) => (token !== undefined ? a.replaceAll(token, '***') : a)))} exited with ${out.code}: ${out.stderr.trim() || 'no message'} — is systemd running and the hub root?`)
      }
      progress({ progress: 40, message: `Unit ${plan.unit} started; waiting for the server to answer` })
      const shown = [command.file, ...fillPlaceholders(command.args, { ...values, token: '***' })]
      const state: SystemdState = { unit: plan.unit, port, uid: account.uid, gid: account.gid, cmd: shown, kind: command.kind }
      return { url: `http://${ip}:${port}`, state: state as unknown as Json, ...(token === undefined ? {} : { token }) }
    },

    async poll(state: Json) {
      const s = readState(state)
      if (s === null) return 'stopped'
      const out = await run('systemctl', ['is-active', '--quiet', s.unit])
      return out.code === 0 ? 'running' : 'stopped'
    },

    async stop(state: Json) {
      const s = readState(state)
      if (s === null) return
      const out = await run('systemctl', ['stop', s.unit])
      // 5: unit not loaded — already gone (collected).
      if (out.code !== 0 && out.code !== 5) throw new SpawnError('SYSTEMD_STOP', 500, `systemctl stop ${s.unit} exited with ${out.code}: ${out.stderr.trim()}`)
    },
  }
}
