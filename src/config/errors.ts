/**
 * Config errors: one message a person can act on, naming the key, what is
 * expected, the bad value and where it came from (flag, env var, file).
 */
import type { z } from 'zod'
import type { Origin } from './sources.ts'
import { ExplainedError } from '../explained-error.ts'

export class ConfigError extends ExplainedError {
  /** Process exit code when this stops the CLI: 2 = wrong usage (bad value), 1 = cannot start as set up. */
  readonly exitCode: number

  constructor(message: string, exitCode = 2) {
    super('CONFIG_INVALID', 400, message)
    this.exitCode = exitCode
  }
}

/** "abc" → 'abc'; objects as JSON; keeps long values short. */
export function showValue(value: unknown): string {
  const shown = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value))
  return shown.length > 80 ? `${shown.slice(0, 77)}…` : shown
}

/** camelCase key → the words people read in messages: apiPort → api-port. */
export function keyLabel(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

/**
 * One line per issue: "port must be an integer 1–65535, got 'abc' (from --port)".
 * `origins` tells, per top-level key, the raw value and its source.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], origins: Readonly<Record<string, Origin>>): string {
  const lines = issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown setting(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`
    if (issue.path.length === 0) return issue.message
    // A top-level key reads as its flag (api-port); nested keys exist only in
    // files and JSON, so they keep the spelling written there (authenticator.clientId).
    const [top, ...nested] = issue.path.map(String)
    const key = [keyLabel(top!), ...nested].join('.')
    const origin = origins[top!]
    const got = origin === undefined ? '' : `, got ${showValue(origin.raw)} (from ${origin.source})`
    return `${key} ${issue.message}${got}`
  })
  return lines.join('\n')
}
