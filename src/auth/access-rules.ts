/**
 * Who may log in, and who is admin — the same rules after every
 * authenticator: allowed users, admin users, allowed groups, admin groups and
 * an optional allowlist file (one name per line, re-read when it changes, so
 * removing a name blocks that person's next login).
 *
 * `decideLogin` is pure; AllowlistFile is the only I/O, a stat per check.
 */
import { statSync, readFileSync } from 'node:fs'
import type { AuthResult } from './authenticator.ts'
import { normalizeUserName, userNameProblem } from './user-name.ts'

export interface AccessRules {
  /** Anyone the authenticator vouches for may log in (e.g. local accounts, which are their own allowlist). */
  allowAll: boolean
  allowedUsers: ReadonlySet<string>
  adminUsers: ReadonlySet<string>
  allowedGroups: ReadonlySet<string>
  adminGroups: ReadonlySet<string>
  /** Names from the allowlist file, or null when no file is configured. */
  allowlist: ReadonlySet<string> | null
}

export interface AccessRulesConfig {
  allowAll?: boolean
  allowedUsers?: readonly string[]
  adminUsers?: readonly string[]
  allowedGroups?: readonly string[]
  adminGroups?: readonly string[]
}

/** Builds rules from config lists, normalising the user names the same way logins are. */
export function accessRules(config: AccessRulesConfig, allowlist: ReadonlySet<string> | null = null): AccessRules {
  const names = (list: readonly string[] | undefined) => new Set((list ?? []).map(normalizeUserName))
  return {
    allowAll: config.allowAll ?? false,
    allowedUsers: names(config.allowedUsers),
    adminUsers: names(config.adminUsers),
    allowedGroups: new Set(config.allowedGroups ?? []),
    adminGroups: new Set(config.adminGroups ?? []),
    allowlist,
  }
}

export type LoginDecision =
  | { allowed: true; name: string; admin: boolean; groups: string[] }
  | { allowed: false; reason: 'bad-name' | 'not-allowed' | 'nobody-allowed'; message: string }

/**
 * Whether an authenticated identity may log in, and as admin. Admin users and
 * members of admin groups are always allowed. `admin` from the authenticator
 * is honoured when true; false only means "not admin by the source".
 */
export function decideLogin(result: AuthResult, rules: AccessRules): LoginDecision {
  const name = normalizeUserName(result.name)
  const problem = userNameProblem(name)
  if (problem !== null) {
    return { allowed: false, reason: 'bad-name', message: `The identity provider gave a user name this hub cannot use: ${problem}. Ask an administrator.` }
  }
  const groups = result.groups ?? []
  const admin = result.admin === true || rules.adminUsers.has(name) || groups.some((g) => rules.adminGroups.has(g))
  if (admin || rules.allowAll) return { allowed: true, name, admin, groups }
  const restricted = rules.allowedUsers.size > 0 || rules.allowedGroups.size > 0 || rules.allowlist !== null
  if (!restricted) {
    return { allowed: false, reason: 'nobody-allowed', message: 'No one is allowed to log in yet: the administrator must set allowed users, allowed groups, an allowlist file or allow all.' }
  }
  if (rules.allowedUsers.has(name) || groups.some((g) => rules.allowedGroups.has(g)) || rules.allowlist?.has(name) === true) {
    return { allowed: true, name, admin, groups }
  }
  return { allowed: false, reason: 'not-allowed', message: `User '${name}' is not allowed to use this hub. Ask an administrator to add you.` }
}

/** Parses an allowlist file: one name per line, `#` starts a comment, blank lines ignored. */
export function parseAllowlist(text: string): { names: Set<string>; problems: string[] } {
  const names = new Set<string>()
  const problems: string[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    const hash = line.indexOf('#')
    const raw = (hash === -1 ? line : line.slice(0, hash)).trim()
    if (raw === '') return
    const name = normalizeUserName(raw)
    const problem = userNameProblem(name)
    if (problem === null) names.add(name)
    else problems.push(`line ${i + 1}: ${problem}`)
  })
  return { names, problems }
}

/**
 * An allowlist file, re-read when its mtime or size changes (one stat per
 * call). A missing or unreadable file allows no one through it (fails
 * closed) and is reported in `problems`.
 */
export class AllowlistFile {
  readonly path: string
  private stamp = ''
  private current: ReadonlySet<string> = new Set()
  problems: string[] = []

  constructor(path: string) {
    this.path = path
  }

  /** The names in the file now. */
  names(): ReadonlySet<string> {
    let stamp: string
    try {
      const st = statSync(this.path, { bigint: true })
      stamp = `${st.mtimeNs}:${st.size}:${st.ino}`
    } catch (err) {
      if (this.stamp !== 'missing') {
        this.stamp = 'missing'
        this.current = new Set()
        this.problems = [`allowlist file ${this.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}) — no one is allowed through it until it is back`]
      }
      return this.current
    }
    if (stamp !== this.stamp) {
      try {
        const parsed = parseAllowlist(readFileSync(this.path, 'utf8'))
        this.current = parsed.names
        this.problems = parsed.problems.map((p) => `allowlist file ${this.path}: ${p}`)
        this.stamp = stamp
      } catch (err) {
        this.current = new Set()
        this.problems = [`allowlist file ${this.path} cannot be read: ${(err as Error).message}`]
        this.stamp = 'missing'
      }
    }
    return this.current
  }
}
