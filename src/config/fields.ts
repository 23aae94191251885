/**
 * Field schemas shared by every monohub config (proxy now, hub later).
 *
 * Values arrive as strings (flags, env) or as JSON values (config file), so
 * each field accepts both and says in plain words what it expects: the
 * message completes "<key> …", e.g. "port must be an integer 1–65535".
 * The formatter (errors.ts) adds the key, the bad value and where it came from.
 */
import { z } from 'zod'

/**
 * A field that accepts `unknown` and converts it with `parse`; when `parse`
 * returns undefined the issue message is "must be <expected>".
 */
export function field<T>(expected: string, parse: (value: unknown) => T | undefined) {
  return z.unknown().transform((value, ctx): T => {
    const parsed = parse(value)
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be ${expected}` })
      return z.NEVER
    }
    return parsed
  })
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value)
  return undefined
}

function inRange(min: number, max: number) {
  return (value: unknown): number | undefined => {
    const n = toInteger(value)
    return n !== undefined && n >= min && n <= max ? n : undefined
  }
}

/** A TCP port to listen on. */
export const port = field('an integer 1–65535', inRange(1, 65535))

/** Milliseconds; 0 usually means "no limit". */
export const milliseconds = field('a whole number of milliseconds (0 or more)', inRange(0, 2 ** 31 - 1))

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

export const boolean = field('true or false', (value) => {
  if (typeof value === 'boolean') return value
  if (typeof value !== 'string') return undefined
  const word = value.trim().toLowerCase()
  return TRUE.has(word) ? true : FALSE.has(word) ? false : undefined
})

/** A string; empty allowed (an IP of '' means all interfaces, as in CHP). */
export const text = field('a string', (value) => (typeof value === 'string' ? value : undefined))

export const nonEmptyText = field('a non-empty string', (value) =>
  typeof value === 'string' && value.length > 0 ? value : undefined,
)

/** A file or folder path (resolved against its source's base folder by the loader). */
export const path = nonEmptyText

/** An address to bind: '' = all interfaces; '*' is CHP's alias for ''. */
export const ip = field("an IP address or host name ('' for all interfaces)", (value) => {
  if (typeof value !== 'string') return undefined
  const trimmed = value.trim()
  return trimmed === '*' ? '' : trimmed
})

export const httpUrl = field("an http(s) URL like 'http://127.0.0.1:8081'", (value) => {
  if (typeof value !== 'string') return undefined
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined
  } catch {
    return undefined
  }
})

export const logLevels = ['debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof logLevels)[number]

/** CHP's level names, case-insensitive; 'warning' accepted as 'warn' (JupyterHub's spelling). */
export const logLevel = field(`one of ${logLevels.join(', ')}`, (value): LogLevel | undefined => {
  if (typeof value !== 'string') return undefined
  const word = value.trim().toLowerCase()
  if (word === 'warning') return 'warn'
  return (logLevels as readonly string[]).includes(word) ? (word as LogLevel) : undefined
})

/** Where monohub keeps its state (route table, …). */
export const dataDir = path

/** Splits "Name: value" (CHP's --custom-header); undefined when there is no name before a colon. */
export function parseHeaderLine(line: string): [string, string] | undefined {
  const trimmed = line.trim()
  const colon = trimmed.indexOf(':')
  if (colon <= 0) return undefined
  const name = trimmed.slice(0, colon).trim()
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return undefined
  return [name, trimmed.slice(colon + 1).trim()]
}

/**
 * Extra request headers: an object {"Name": "value"} (config file), a list
 * of "Name: value" strings (repeated flag), or one string with lines (env).
 */
export const headers = field("headers as 'Name: value' (or a JSON object of name → value)", (value) => {
  const out: Record<string, string> = {}
  const lines = typeof value === 'string' ? value.split('\n').filter((l) => l.trim() !== '') : value
  if (Array.isArray(lines)) {
    for (const line of lines) {
      const pair = typeof line === 'string' ? parseHeaderLine(line) : undefined
      if (pair === undefined) return undefined
      out[pair[0]] = pair[1]
    }
    return out
  }
  if (typeof value === 'object' && value !== null) {
    for (const [name, v] of Object.entries(value)) {
      if (typeof v !== 'string' || parseHeaderLine(`${name}: ${v}`) === undefined) return undefined
      out[name] = v
    }
    return out
  }
  return undefined
})
