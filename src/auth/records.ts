/**
 * The hub's replicated records — users, API tokens, groups and the OAuth
 * clients of running user servers — and the reducer that
 * applies an op to them. The reducer runs again when the journal is replayed
 * (and, in a cluster, on every node), so it is deterministic: every time and
 * value it needs is inside the op, and an op about a record that is no longer
 * there is a no-op rather than an error.
 */
import type { TokenRecord } from './tokens.ts'

export interface UserRecord {
  name: string
  admin: boolean
  /** False while a self-signed-up account waits for an admin. */
  approved: boolean
  groups: string[]
  /** scrypt hash (passwords.ts); absent for users of external authenticators. */
  passwordHash?: string
  /** Bumped to end all of the user's sessions ("log out everywhere"). */
  sessionGeneration: number
  /** Milliseconds since the epoch. */
  created: number
  lastActivity?: number
}

/** A group (JupyterHub's /hub/api/groups). Members are listed on the users (UserRecord.groups). */
export interface GroupRecord {
  name: string
  /** Free-form JSON, as JupyterHub's group `properties`. */
  properties: Record<string, unknown>
  /** Milliseconds since the epoch. */
  created: number
}

/**
 * A user server registered as an OAuth client of the hub (jupyterhub-singleuser
 * logs its users in through the hub). Registered when the server starts,
 * removed when it stops; stored so a server adopted after a hub restart keeps working.
 */
export interface OAuthClientRecord {
  /** 'jupyterhub-user-<name>' or 'jupyterhub-user-<name>-<server>' */
  id: string
  user: string
  /** '' = the default server. */
  server: string
  /** Relative, e.g. '/user/alice/oauth_callback'; a request must name exactly this. */
  redirectUri: string
  /** The id of the server's API token, which is the client's secret. */
  secretTokenId: string
  created: number
}

export interface HubState {
  users: Record<string, UserRecord>
  tokens: Record<string, TokenRecord>
  /** Absent in data dirs written before groups existed: read with groupsOf(). */
  groups?: Record<string, GroupRecord>
  /** Absent in data dirs written before OAuth clients existed: read with oauthClientsOf(). */
  oauthClients?: Record<string, OAuthClientRecord>
}

export type HubOp =
  | { op: 'user.put'; user: UserRecord }
  /** Also deletes the user's tokens. */
  | { op: 'user.delete'; name: string }
  | { op: 'user.setPassword'; name: string; passwordHash: string }
  | { op: 'user.bumpGeneration'; name: string }
  | { op: 'token.put'; token: TokenRecord }
  | { op: 'token.delete'; id: string }
  | { op: 'token.touch'; id: string; at: number }
  /** Moves a user's last activity forward (never back). */
  | { op: 'user.activity'; name: string; at: number }
  | { op: 'group.put'; group: GroupRecord }
  /** Also removes the group from its members. */
  | { op: 'group.delete'; name: string }
  /** Adds and removes members (users that do not exist are skipped). */
  | { op: 'group.members'; name: string; add: string[]; remove: string[] }
  | { op: 'oauthClient.put'; client: OAuthClientRecord }
  | { op: 'oauthClient.delete'; id: string }

function emptyMap<T>(): Record<string, T> {
  // Null-prototype objects: a user called "__proto__" or "constructor" is just a key.
  return Object.create(null) as Record<string, T>
}

export function emptyHubState(): HubState {
  // groups and oauthClients appear with their first record (older data dirs have neither).
  return { users: emptyMap(), tokens: emptyMap() }
}

const NO_GROUPS: Readonly<Record<string, GroupRecord>> = Object.freeze(emptyMap<GroupRecord>())
const NO_CLIENTS: Readonly<Record<string, OAuthClientRecord>> = Object.freeze(emptyMap<OAuthClientRecord>())

export function groupsOf(state: HubState): Readonly<Record<string, GroupRecord>> {
  return state.groups ?? NO_GROUPS
}

export function oauthClientsOf(state: HubState): Readonly<Record<string, OAuthClientRecord>> {
  return state.oauthClients ?? NO_CLIENTS
}

/** Replaces `user` with a copy whose groups are `groups` (a new object: see user.put). */
function setGroups(state: HubState, user: UserRecord, groups: string[]): void {
  setOwn(state.users, user.name, { ...structuredClone(user), groups })
}

function own<T>(map: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined
}

/** Sets an own property, also for keys such as "__proto__" that plain assignment would treat specially. */
function setOwn<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true })
}

/** Applies `op` to `state` in place. */
export function hubReducer(state: HubState, op: HubOp): void {
  switch (op.op) {
    case 'user.put':
      // A new object, never an in-place change: request-identity.ts memoises
      // scopes per record object and relies on this to see a changed admin flag.
      setOwn(state.users, op.user.name, structuredClone(op.user))
      return
    case 'user.delete': {
      delete state.users[op.name]
      for (const id of Object.keys(state.tokens)) if (own(state.tokens, id)?.owner === op.name) delete state.tokens[id]
      const clients = state.oauthClients
      if (clients !== undefined) for (const id of Object.keys(clients)) if (own(clients, id)?.user === op.name) delete clients[id]
      return
    }
    case 'user.setPassword': {
      const user = own(state.users, op.name)
      if (user !== undefined) user.passwordHash = op.passwordHash
      return
    }
    case 'user.bumpGeneration': {
      const user = own(state.users, op.name)
      if (user !== undefined) user.sessionGeneration++
      return
    }
    case 'token.put':
      setOwn(state.tokens, op.token.id, structuredClone(op.token))
      return
    case 'token.delete':
      delete state.tokens[op.id]
      return
    case 'token.touch': {
      const token = own(state.tokens, op.id)
      if (token !== undefined && (token.lastUsed === undefined || op.at > token.lastUsed)) token.lastUsed = op.at
      return
    }
    case 'user.activity': {
      const user = own(state.users, op.name)
      if (user !== undefined && (user.lastActivity === undefined || op.at > user.lastActivity)) user.lastActivity = op.at
      return
    }
    case 'group.put':
      setOwn((state.groups ??= emptyMap()), op.group.name, structuredClone(op.group))
      return
    case 'group.delete': {
      if (state.groups !== undefined) delete state.groups[op.name]
      for (const user of Object.values(state.users)) {
        if (user.groups.includes(op.name)) setGroups(state, user, user.groups.filter((g) => g !== op.name))
      }
      return
    }
    case 'group.members': {
      for (const name of op.add) {
        const user = own(state.users, name)
        if (user !== undefined && !user.groups.includes(op.name)) setGroups(state, user, [...user.groups, op.name])
      }
      for (const name of op.remove) {
        const user = own(state.users, name)
        if (user !== undefined && user.groups.includes(op.name)) setGroups(state, user, user.groups.filter((g) => g !== op.name))
      }
      return
    }
    case 'oauthClient.put':
      setOwn((state.oauthClients ??= emptyMap()), op.client.id, structuredClone(op.client))
      return
    case 'oauthClient.delete':
      if (state.oauthClients !== undefined) delete state.oauthClients[op.id]
      return
    default: {
      // A newer version's op in the journal: ignore rather than refuse to start.
      const unknown: never = op
      void unknown
    }
  }
}

/** A new user record with defaults filled in. */
export function newUserRecord(name: string, now: number, fields: Partial<Omit<UserRecord, 'name' | 'created'>> = {}): UserRecord {
  return {
    name,
    admin: fields.admin ?? false,
    approved: fields.approved ?? true,
    groups: fields.groups ?? [],
    // Starts at the creation time, not 0: cookies of a deleted user of the
    // same name carry a small generation and are refused for the new account.
    sessionGeneration: fields.sessionGeneration ?? now,
    created: now,
    ...(fields.passwordHash !== undefined ? { passwordHash: fields.passwordHash } : {}),
    ...(fields.lastActivity !== undefined ? { lastActivity: fields.lastActivity } : {}),
  }
}

/** The session generation of `name`, or undefined when there is no such user (for Sessions.verifySession). */
export function generationOf(state: HubState): (name: string) => number | undefined {
  return (name) => own(state.users, name)?.sessionGeneration
}
