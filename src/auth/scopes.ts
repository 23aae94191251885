/**
 * JupyterHub's permission model, by its names: scopes, optionally narrowed
 * by a filter (`read:users!user=alice`, `access:servers!server=alice/`,
 * `servers!group=physics`), granted through roles (`user`, `admin`,
 * `server`, `token`). A scope implies its sub-scopes with the same filter
 * (`admin:users` → `users` → `read:users` → `read:users:name` …).
 *
 * Pure. Expand once (`expandScopes`, `userScopes`) and keep the Set: then
 * `hasScope` is a few Set lookups, cheap enough for the proxy's hot path.
 */
import { ExplainedError } from '../explained-error.ts'

/** Each scope and the scopes it directly implies (JupyterHub 5's table). */
export const SCOPE_TABLE: Readonly<Record<string, readonly string[]>> = {
  self: [],
  inherit: [],
  'admin-ui': [],
  'admin:users': ['admin:auth_state', 'users', 'read:roles:users', 'delete:users'],
  'admin:auth_state': [],
  users: ['read:users', 'list:users', 'users:activity'],
  'delete:users': [],
  'list:users': ['read:users:name'],
  'read:users': ['read:users:name', 'read:users:groups', 'read:users:activity'],
  'read:users:name': [],
  'read:users:groups': [],
  'read:users:activity': [],
  'users:activity': ['read:users:activity'],
  'admin:servers': ['admin:server_state', 'servers'],
  'admin:server_state': [],
  servers: ['read:servers', 'delete:servers'],
  'read:servers': ['read:users:name'],
  'delete:servers': [],
  'access:servers': [],
  tokens: ['read:tokens'],
  'read:tokens': [],
  'admin:groups': ['groups', 'read:roles:groups', 'delete:groups'],
  groups: ['read:groups', 'list:groups'],
  'list:groups': ['read:groups:name'],
  'read:groups': ['read:groups:name'],
  'read:groups:name': [],
  'delete:groups': [],
  'read:roles': ['read:roles:users', 'read:roles:services', 'read:roles:groups'],
  'read:roles:users': [],
  'read:roles:services': [],
  'read:roles:groups': [],
  'list:services': ['read:services:name'],
  'read:services': ['read:services:name', 'read:roles:services'],
  'read:services:name': [],
  'access:services': [],
  'read:hub': [],
  proxy: [],
  shutdown: [],
  'read:metrics': [],
}

/** What `self` means for a user: these scopes on their own user (`!user=<name>`). */
export const SELF_SCOPES: readonly string[] = [
  'read:users',
  'users:activity',
  'servers',
  'access:servers',
  'tokens',
]

/**
 * Built-in roles. A bare `!user` / `!server` filter means "the user / server
 * this role is given to" and is filled in by roleScopes.
 */
export const ROLES: Readonly<Record<string, readonly string[]>> = {
  user: ['self'],
  admin: [
    'admin-ui',
    'admin:users',
    'admin:servers',
    'tokens',
    'admin:groups',
    'list:services',
    'read:services',
    'read:hub',
    'proxy',
    'shutdown',
    'access:services',
    'access:servers',
    'read:roles',
    'read:metrics',
  ],
  /** Given to a user server's own token (jupyterhub-singleuser). */
  server: ['users:activity!user', 'access:servers!server'],
  /** The default for new API tokens: everything the owner may do. */
  token: ['inherit'],
}

export type ScopeFilterKind = 'user' | 'server' | 'group' | 'service'

export interface ParsedScope {
  base: string
  filter?: { kind: ScopeFilterKind; value: string }
}

export class ScopeError extends ExplainedError {
  constructor(message: string) {
    super('BAD_SCOPE', 400, message)
  }
}

const FILTER_KINDS: ReadonlySet<string> = new Set(['user', 'server', 'group', 'service'])

/** Splits and checks one scope string. Throws ScopeError naming the problem. */
export function parseScope(scope: string): ParsedScope {
  const bang = scope.indexOf('!')
  const base = bang === -1 ? scope : scope.slice(0, bang)
  if (!Object.hasOwn(SCOPE_TABLE, base)) {
    throw new ScopeError(`unknown scope '${base}' — known scopes: ${Object.keys(SCOPE_TABLE).join(', ')}`)
  }
  if (bang === -1) return { base }
  const m = /^(user|server|group|service)=(.+)$/.exec(scope.slice(bang + 1))
  if (m === null || !FILTER_KINDS.has(m[1] as string)) {
    throw new ScopeError(`bad filter in scope '${scope}' — use !user=<name>, !server=<user>/<server>, !group=<name> or !service=<name>`)
  }
  const kind = m[1] as ScopeFilterKind
  const value = m[2] as string
  if (kind === 'server' && !value.includes('/')) {
    throw new ScopeError(`bad filter in scope '${scope}' — a server filter is <user>/<server name> ('alice/' for the default server)`)
  }
  return { base, filter: { kind, value } }
}

/** Throws ScopeError for the first bad scope in `scopes` (use when a client asks for scopes). */
export function validateScopes(scopes: readonly string[]): void {
  for (const s of scopes) parseScope(s)
}

export type ScopeSet = ReadonlySet<string>

export interface ScopeOwner {
  name: string
  /** The owner's own expanded scopes, for `inherit` (tokens). */
  scopes?: ScopeSet
}

function addWithSubscopes(out: Set<string>, base: string, suffix: string): void {
  const key = base + suffix
  if (out.has(key)) return
  out.add(key)
  for (const sub of SCOPE_TABLE[base] ?? []) addWithSubscopes(out, sub, suffix)
}

/**
 * The closure of `scopes` under sub-scope implication, with `self` and
 * `inherit` resolved for `owner`. Unknown scopes throw ScopeError.
 */
export function expandScopes(scopes: Iterable<string>, owner?: ScopeOwner): Set<string> {
  const out = new Set<string>()
  for (const scope of scopes) {
    const parsed = parseScope(scope)
    if (parsed.base === 'self') {
      if (owner !== undefined) for (const s of SELF_SCOPES) addWithSubscopes(out, s, `!user=${owner.name}`)
    } else if (parsed.base === 'inherit') {
      if (owner?.scopes !== undefined) for (const s of owner.scopes) out.add(s)
    } else {
      addWithSubscopes(out, parsed.base, parsed.filter ? `!${parsed.filter.kind}=${parsed.filter.value}` : '')
    }
  }
  return out
}

/** A role's scopes with bare `!user` / `!server` filled in. */
export function roleScopes(role: string, holder: { user?: string; server?: string } = {}): string[] {
  const scopes = ROLES[role]
  if (scopes === undefined) throw new ScopeError(`unknown role '${role}' — built-in roles: ${Object.keys(ROLES).join(', ')}`)
  return scopes.map((s) => {
    if (s.endsWith('!user')) {
      if (holder.user === undefined) throw new ScopeError(`role '${role}' is given to a user: say which`)
      return `${s}=${holder.user}`
    }
    if (s.endsWith('!server')) {
      if (holder.server === undefined) throw new ScopeError(`role '${role}' is given to a server: say which (<user>/<server name>)`)
      return `${s}=${holder.server}`
    }
    return s
  })
}

/** Everything a user may do: the `user` role, plus `admin` for admins. */
export function userScopes(user: { name: string; admin: boolean }): Set<string> {
  const scopes = roleScopes('user', { user: user.name })
  if (user.admin) scopes.push(...roleScopes('admin', { user: user.name }))
  return expandScopes(scopes, { name: user.name })
}

/** The resource a request acts on; leave out what does not apply. */
export interface ScopeTarget {
  /** The user acted on (or owning the server). */
  user?: string
  /** `<user>/<server name>`; `alice/` is alice's default server. */
  server?: string
  /** Groups of the target user (for `!group=` filters on user and server scopes). */
  groups?: readonly string[]
  /** A group acted on. */
  group?: string
  service?: string
}

/**
 * Whether `scopes` allow `needed` (a base scope name) on `target`.
 * An unfiltered scope allows it everywhere; a filtered one only on a
 * matching target. Pass an expanded Set for speed; an array is expanded here.
 */
export function hasScope(scopes: ScopeSet | readonly string[], needed: string, target: ScopeTarget = {}): boolean {
  const set: ScopeSet = Array.isArray(scopes) ? expandScopes(scopes) : (scopes as ScopeSet)
  if (set.has(needed)) return true
  let user = target.user
  if (target.server !== undefined) {
    if (set.has(`${needed}!server=${target.server}`)) return true
    if (user === undefined) user = target.server.slice(0, target.server.indexOf('/'))
  }
  if (user !== undefined && set.has(`${needed}!user=${user}`)) return true
  if (target.groups !== undefined) {
    for (const g of target.groups) if (set.has(`${needed}!group=${g}`)) return true
  }
  if (target.group !== undefined && set.has(`${needed}!group=${target.group}`)) return true
  if (target.service !== undefined && set.has(`${needed}!service=${target.service}`)) return true
  return false
}

/**
 * Which targets `needed` is allowed on, for filtering a list (GET /users
 * with `list:users!group=physics` lists only physics members):
 * 'all', the allowed users/servers/groups, or null for none.
 */
export function scopeReach(scopes: ScopeSet, needed: string): 'all' | { users: Set<string>; servers: Set<string>; groups: Set<string> } | null {
  if (scopes.has(needed)) return 'all'
  const reach = { users: new Set<string>(), servers: new Set<string>(), groups: new Set<string>() }
  const prefix = needed + '!'
  for (const s of scopes) {
    if (!s.startsWith(prefix)) continue
    const [kind, value] = s.slice(prefix.length).split('=', 2) as [string, string]
    if (kind === 'user') reach.users.add(value)
    else if (kind === 'server') reach.servers.add(value)
    else if (kind === 'group') reach.groups.add(value)
  }
  return reach.users.size + reach.servers.size + reach.groups.size === 0 ? null : reach
}

/**
 * The part of `requested` that `owner` holds (a token never exceeds its
 * owner). Both expanded. A filtered request is kept when the owner holds the
 * scope unfiltered, with the same filter, or (for a server) on its user.
 */
export function intersectScopes(requested: ScopeSet, owner: ScopeSet): Set<string> {
  const out = new Set<string>()
  for (const s of requested) {
    if (owner.has(s)) {
      out.add(s)
      continue
    }
    const bang = s.indexOf('!')
    if (bang === -1) continue
    const base = s.slice(0, bang)
    if (owner.has(base)) {
      out.add(s)
      continue
    }
    const filter = s.slice(bang + 1)
    if (filter.startsWith('server=')) {
      const user = filter.slice(7, filter.indexOf('/'))
      if (owner.has(`${base}!user=${user}`)) out.add(s)
    }
  }
  return out
}
