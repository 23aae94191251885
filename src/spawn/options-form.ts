/**
 * User options: what a spawner's options form allows, checked before a start.
 * Missing fields take their defaults; unknown fields and out-of-range values
 * are refused with a message naming the field.
 */
import type { Json, OptionsFormSpec } from './spawner.ts'
import { ServerRequestError } from './errors.ts'

function bad(message: string): ServerRequestError {
  return new ServerRequestError('BAD_OPTIONS', message)
}

/** Returns the validated options with defaults filled in; without a form, only {} is accepted. */
export function validateOptions(spec: OptionsFormSpec | undefined, raw: unknown): Record<string, Json> {
  const input = raw ?? {}
  if (typeof input !== 'object' || Array.isArray(input)) throw bad('server options must be a JSON object')
  const given = input as Record<string, unknown>
  const fields = spec?.fields ?? []
  const known = new Set(fields.map((f) => f.name))
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      throw bad(fields.length === 0
        ? `this hub's spawner takes no server options, got '${key}'`
        : `unknown server option '${key}' — allowed: ${[...known].join(', ')}`)
    }
  }
  const out: Record<string, Json> = {}
  for (const field of fields) {
    const value = Object.hasOwn(given, field.name) ? given[field.name] : undefined
    if (field.type === 'number') {
      const n = value === undefined || value === '' ? field.default : typeof value === 'string' ? Number(value) : value
      if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`${field.label} must be a number`)
      if (n < field.min || n > field.max) throw bad(`${field.label} must be between ${field.min} and ${field.max}${field.unit === undefined ? '' : ` ${field.unit}`}, got ${n}`)
      out[field.name] = n
    } else {
      const v = value === undefined ? field.default : value
      if (typeof v !== 'string' || !field.choices.some((c) => c.value === v)) {
        throw bad(`${field.label} must be one of ${field.choices.map((c) => c.value).join(', ')}`)
      }
      out[field.name] = v
    }
  }
  return out
}
