/**
 * User names are normalised and validated once, at the edge, before they are
 * used to build anything: URL paths (/user/<name>/), file paths (home folders,
 * state files), systemd unit names, container names, log lines.
 *
 * Normalisation: NFKC (so visually identical forms such as full-width letters
 * become one name), trimmed, lower-cased (JupyterHub lower-cases too, so
 * "Alice" and "alice" cannot be two accounts).
 */
import { ExplainedError } from '../explained-error.ts'

/** Longest accepted name. 64 keeps unit/container names and paths well under
 * their limits (systemd units 255, Docker names 128, PATH_MAX components 255)
 * even after prefixes such as "jupyter-", while fitting any e-mail address
 * people actually use as a login. */
export const MAX_USER_NAME_LENGTH = 64

const ALLOWED_DESCRIPTION = 'letters, digits and . _ - @ + (so e-mail addresses work), at most 64 characters, not starting with - or .'

export class UserNameError extends ExplainedError {
  constructor(message: string) {
    super('BAD_USER_NAME', 400, message)
  }
}

/** NFKC, trimmed, lower-cased. Does not validate. */
export function normalizeUserName(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase()
}

// One pass over the characters: letters and decimal digits of any script, plus . _ - @ +
const ALLOWED_CHAR = /^[\p{L}\p{Nd}._@+-]$/u

function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0
  const hex = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0')
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0)) return `control character ${hex}`
  if (/\s/u.test(ch)) return `whitespace ${hex}`
  return `'${ch}' (${hex})`
}

/** Returns what is wrong with an already normalised name, or null when it is fine. */
export function userNameProblem(name: string): string | null {
  if (name.length === 0) return 'user name is empty'
  const length = [...name].length
  if (length > MAX_USER_NAME_LENGTH) return `user name is ${length} characters long`
  if (name.startsWith('-')) return `user name '${name}' starts with '-'`
  if (name.startsWith('.')) return `user name '${name}' starts with '.'`
  if (name.includes('..')) return `user name '${name}' contains '..'`
  for (const ch of name) {
    if (!ALLOWED_CHAR.test(ch)) return `user name contains ${describeChar(ch)}`
  }
  return null
}

/** Normalises `raw` and returns it, or throws UserNameError saying what is wrong and what is allowed. */
export function validateUserName(raw: unknown): string {
  if (typeof raw !== 'string') throw new UserNameError(`user name must be a string — allowed: ${ALLOWED_DESCRIPTION}`)
  const name = normalizeUserName(raw)
  const problem = userNameProblem(name)
  if (problem !== null) throw new UserNameError(`${problem} — allowed: ${ALLOWED_DESCRIPTION}`)
  return name
}

/** True when `raw` normalises to a valid name. */
export function isValidUserName(raw: string): boolean {
  return userNameProblem(normalizeUserName(raw)) === null
}
