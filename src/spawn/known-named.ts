/**
 * Named servers stay known while stopped — listed, counted toward the
 * per-user limit, their URL leading to their own spawn page — until removed
 * explicitly or their user is deleted, as JupyterHub keeps them in its
 * database. Kept in the servers store beside the running servers' records.
 */
import type { Store } from '../store/store.ts'
import type { Json } from './spawner.ts'
import type { KnownNamedServer, ServerOp, ServerRecord, ServersState } from './server-store.ts'
import { knownNamedOf } from './server-store.ts'

export class KnownNamedServers {
  readonly #store: Store<ServersState, ServerOp>
  readonly #userCreated: ((user: string) => number | undefined) | undefined

  /** `userCreated`: when a user was created (undefined: no such user); without it, entries are kept until removed. */
  constructor(store: Store<ServersState, ServerOp>, userCreated: ((user: string) => number | undefined) | undefined) {
    this.#store = store
    this.#userCreated = userCreated
  }

  /** Every key ('user/name'), including ones of users that are gone (get() filters those). */
  keys(): string[] {
    return Object.keys(knownNamedOf(this.#store.state))
  }

  /** The entry, unless its user is gone (deleted, or deleted and created again). */
  get(key: string): KnownNamedServer | undefined {
    const all = knownNamedOf(this.#store.state)
    if (!Object.hasOwn(all, key)) return undefined
    const known = all[key]!
    if (this.#userCreated === undefined) return known
    const created = this.#userCreated(known.user)
    if (created === undefined || (known.userCreated !== undefined && known.userCreated !== created)) return undefined
    return known
  }

  /** Records a start (its options); the activity of an earlier run is kept. */
  remember(key: string, user: string, name: string, userOptions: Record<string, Json>): Promise<void> {
    return this.#put(key, user, name, userOptions, this.get(key)?.lastActivity)
  }

  /** A named server about to stop (or found dead) keeps its latest activity in the list; the default server needs nothing. */
  async stopping(key: string, record: ServerRecord, lastActivity: number | undefined): Promise<void> {
    if (record.name === '') return
    await this.#put(key, record.user, record.name, record.userOptions, lastActivity ?? this.get(key)?.lastActivity)
  }

  /** Forgets it; true when it was known. */
  async forget(key: string): Promise<boolean> {
    if (!Object.hasOwn(knownNamedOf(this.#store.state), key)) return false
    await this.#store.commit({ op: 'named.delete', key })
    return true
  }

  /** Running named servers from before they were kept become known (once, at open). */
  async adoptRunning(): Promise<void> {
    const known = knownNamedOf(this.#store.state)
    for (const [key, record] of Object.entries(this.#store.state.servers)) {
      if (record.name !== '' && !Object.hasOwn(known, key)) await this.remember(key, record.user, record.name, record.userOptions)
    }
  }

  /** Drops entries of users that are gone, except those `inUse` (running or starting). */
  async forgetOrphans(inUse: (key: string) => boolean): Promise<void> {
    if (this.#userCreated === undefined) return
    for (const key of this.keys()) {
      if (this.get(key) === undefined && !inUse(key)) await this.#store.commit({ op: 'named.delete', key })
    }
  }

  #put(key: string, user: string, name: string, userOptions: Record<string, Json>, lastActivity: number | undefined): Promise<void> {
    const userCreated = this.#userCreated?.(user)
    return this.#store.commit({
      op: 'named.put',
      key,
      server: { user, name, userOptions, ...(lastActivity === undefined ? {} : { lastActivity }), ...(userCreated === undefined ? {} : { userCreated }) },
    })
  }
}
