/**
 * The hub's replicated records — users and API tokens — and the reducer that
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

export interface HubState {
  users: Record<string, UserRecord>
  tokens: Record<string, TokenRecord>
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

export function emptyHubState(): HubState {
  // Null-prototype objects: a user called "__proto__" or "constructor" is just a key.
  return { users: Object.create(null) as Record<string, UserRecord>, tokens: Object.create(null) as Record<string, TokenRecord> }
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
