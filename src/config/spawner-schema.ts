/**
 * The hub's settings for users' servers: which spawner, which command, the
 * start limits, named servers and idle culling. Kept beside hub-schema.ts
 * (which spreads `spawnerConfigFields` into the hub's schema) so each file
 * stays about one thing.
 *
 * `spawner` is a kind ('process', 'demo', 'system-user', 'systemd',
 * 'script'), an object {kind, …options of that spawner}, or — from a JS
 * config module — an object implementing the Spawner seam itself.
 */
import { z } from 'zod'
import * as f from './fields.ts'
import { parseKindOptions } from './kind-options.ts'
import type { Spawner } from '../spawn/spawner.ts'
import { splitCommandLine } from '../spawn/spawners/command.ts'

/** A whole number ≥ 0 (0 usually means off / no limit). */
const count = f.field('a whole number (0 or more)', (value) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) && n >= 0 && n <= 2 ** 31 - 1 ? n : undefined
})

/** Seconds ≥ 0; 0 = off. */
const secondsOrOff = f.field('a whole number of seconds (0 = off)', (value) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) && n >= 0 && n <= 10 * 365 * 86400 ? n : undefined
})

const positiveSeconds = f.field('a whole number of seconds (1 or more)', (value) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) && n >= 1 && n <= 86400 ? n : undefined
})

export type CmdSetting = 'auto' | 'demo' | string[]

/** An argv: a JSON list of strings, or one command line split like a shell (no expansion). */
function argvOf(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') && value.length > 0 && value[0] !== '' ? (value as string[]) : undefined
  if (typeof value !== 'string') return undefined
  try {
    const words = splitCommandLine(value)
    return words.length > 0 ? words : undefined
  } catch {
    return undefined
  }
}

/** 'auto', 'demo', a command line ("jupyter-lab --port={port}") or a JSON list of arguments. */
export const cmd = f.field("auto, demo, or a command line like \"jupyter-lab --ip={ip} --port={port}\" (quotes closed)", (value): CmdSetting | undefined => {
  if (typeof value === 'string' && (value.trim() === 'auto' || value.trim() === 'demo')) return value.trim() as 'auto' | 'demo'
  return argvOf(value)
})

const str = z.string({ error: 'must be a string' })
const strList = z.array(z.string(), { error: 'must be a list of strings' })
const bool = z.boolean({ error: 'must be true or false' })
const argv = z.union([z.string(), strList], { error: 'must be a command line or a list of arguments' }).transform((value, ctx) => {
  const out = argvOf(value)
  if (out === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a command line or a non-empty list of arguments' })
    return z.NEVER
  }
  return out
})
const env = z.record(z.string(), z.string(), { error: 'must be an object of string values' })
const account = {
  prefix: str.optional(),
  createUsers: bool.optional(),
  homeTemplate: str.optional(),
  shell: str.optional(),
}
const numberField = z.strictObject({
  name: str, label: str, type: z.literal('number'), min: z.number(), max: z.number(), step: z.number().optional(),
  default: z.number(), unit: str.optional(), help: str.optional(),
})
const selectField = z.strictObject({
  name: str, label: str, type: z.literal('select'), choices: z.array(z.strictObject({ value: str, label: str })), default: str, help: str.optional(),
})
const optionsForm = z.strictObject({ fields: z.array(z.union([numberField, selectField])) })

const byKind = {
  process: z.strictObject({ kind: z.literal('process') }),
  demo: z.strictObject({ kind: z.literal('demo') }),
  'system-user': z.strictObject({ kind: z.literal('system-user'), ...account, workDirIn: z.enum(['home', 'hub-template'], { error: "must be 'home' or 'hub-template'" }).optional() }),
  systemd: z.strictObject({
    kind: z.literal('systemd'), ...account,
    unitPrefix: str.optional(),
    memoryChoices: strList.optional(),
    maxCpus: z.number({ error: 'must be a number' }).int().min(0).optional(),
    properties: strList.optional(),
  }),
  script: z.strictObject({
    kind: z.literal('script'),
    start: argv, poll: argv, stop: argv,
    pollTimeout: z.number({ error: 'must be a number of seconds' }).positive().optional(),
    stopTimeout: z.number({ error: 'must be a number of seconds' }).positive().optional(),
    env: env.optional(),
    optionsForm: optionsForm.optional(),
  }),
} as const

export const SPAWNER_KINDS = Object.keys(byKind) as (keyof typeof byKind)[]

export type SpawnerConfig =
  | { [K in keyof typeof byKind]: z.output<(typeof byKind)[K]> }[keyof typeof byKind]
  | { kind: 'custom'; spawner: Spawner }

function isSpawnerObject(value: unknown): value is Spawner {
  if (typeof value !== 'object' || value === null) return false
  const s = value as Spawner
  return typeof s.start === 'function' && typeof s.poll === 'function' && typeof s.stop === 'function'
}

const KIND_LIST = SPAWNER_KINDS.join(', ')

/** A kind, {kind, …} (a JSON string in env), or a Spawner object from a JS config module. */
export const spawner = z.unknown().transform((value, ctx): SpawnerConfig => {
  let raw = value
  if (typeof raw === 'string') {
    const text = raw.trim()
    if (/^[a-z-]+$/.test(text)) raw = { kind: text }
    else {
      try {
        raw = JSON.parse(text)
      } catch {
        ctx.addIssue({ code: 'custom', message: `must be a kind (${KIND_LIST}) or a JSON object like {"kind":"script",…}` })
        return z.NEVER
      }
    }
  }
  if (isSpawnerObject(raw)) {
    if (typeof raw.name !== 'string' || raw.name === '') {
      ctx.addIssue({ code: 'custom', message: 'is a spawner object without a name — give it a `name` string (it is saved with each server)' })
      return z.NEVER
    }
    return { kind: 'custom', spawner: raw }
  }
  const kind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined
  if (typeof kind !== 'string' || !Object.hasOwn(byKind, kind)) {
    ctx.addIssue({ code: 'custom', message: `must be one of ${KIND_LIST} (or an object {kind, …}, or a spawner object from a JS config module)` })
    return z.NEVER
  }
  return parseKindOptions(byKind[kind as keyof typeof byKind], raw, kind, ctx) as SpawnerConfig
})

/** Spread into the hub's schema. */
export const spawnerConfigFields = {
  spawner,
  /** What the local spawners run: auto (Jupyter when installed, else the demo), demo, or a command line. */
  cmd,
  /** Let the process spawner run servers as root when the hub runs as root. */
  allowRoot: f.boolean,
  /** Working directory of each server; {data_dir} and {user} are filled. */
  serverWorkDir: f.nonEmptyText,
  startTimeout: positiveSeconds,
  /** Starts in progress at once; 0 = no limit. */
  concurrentSpawnLimit: count,
  allowNamedServers: f.boolean,
  /** 0 = no limit. */
  namedServerLimitPerUser: count,
  /** Stop servers idle this long; 0 = never. */
  cullIdleTimeout: secondsOrOff,
  /** Stop servers this old whatever their activity; 0 = no limit. */
  cullMaxAge: secondsOrOff,
  /** How often the culler looks; 0 = a tenth of the idle timeout (1 s – 5 min). */
  cullInterval: secondsOrOff,
  /** How often running servers are checked for having died (a server the proxy cannot reach is checked at once). */
  serverPollInterval: positiveSeconds,
}

export const spawnerConfigDefaults = {
  spawner: 'process',
  cmd: 'auto',
  allowRoot: false,
  serverWorkDir: '{data_dir}/users/{user}',
  startTimeout: 90,
  concurrentSpawnLimit: 100,
  allowNamedServers: false,
  namedServerLimitPerUser: 0,
  cullIdleTimeout: 0,
  cullMaxAge: 0,
  cullInterval: 0,
  serverPollInterval: 30,
} as const
