/**
 * A start that gives no options reuses those of the server's last start, as
 * JupyterHub does ("options unspecified, load from db which should have the
 * previous value"): Start on the home page, an admin's Start, `POST
 * /hub/api/users/<name>/server` without a body, a culled server coming back
 * on the next visit. Options given explicitly (the spawn page's form, an API
 * body — `{}` included) become the new last ones.
 *
 * Named servers keep theirs in their known-server entry (known-named.ts);
 * the default server's are kept here, with the user's `created`, so a user
 * deleted and created again does not inherit them.
 */
import { isDeepStrictEqual } from 'node:util'
import type { Store } from '../store/store.ts'
import type { KnownNamedServers } from './known-named.ts'
import { validateOptions } from './options-form.ts'
import { lastDefaultOptionsOf, type ServerOp, type ServersState } from './server-store.ts'
import type { SpawnLogger } from './server-status.ts'
import type { Json, OptionsFormSpec } from './spawner.ts'

export class LastOptions {
  readonly #store: Store<ServersState, ServerOp>
  readonly #named: KnownNamedServers
  readonly #userCreated: ((user: string) => number | undefined) | undefined

  constructor(store: Store<ServersState, ServerOp>, named: KnownNamedServers, userCreated: ((user: string) => number | undefined) | undefined) {
    this.#store = store
    this.#named = named
    this.#userCreated = userCreated
  }

  /** The options of the last start of `key`, or undefined when there was none (or its user is gone). */
  get(key: string, user: string, server: string): Record<string, Json> | undefined {
    if (server !== '') return this.#named.get(key)?.userOptions
    const all = lastDefaultOptionsOf(this.#store.state)
    if (!Object.hasOwn(all, key)) return undefined
    const entry = all[key]!
    if (this.#userCreated !== undefined && entry.userCreated !== this.#userCreated(user)) return undefined
    return entry.userOptions
  }

  /**
   * The options for a start that gave none: the last start's, checked against
   * today's options form — the form's defaults when there were none or they
   * no longer fit it (an admin changed the form since).
   */
  reuse(key: string, user: string, server: string, spec: OptionsFormSpec | undefined, log: SpawnLogger): Record<string, Json> {
    try {
      return validateOptions(spec, this.get(key, user, server) ?? {})
    } catch (error) {
      log.warn({ user, server }, `the options of the last start no longer fit the options form (${(error as Error).message}); starting with the defaults`)
      return validateOptions(spec, {})
    }
  }

  /** Records the options of a start (a named server's entry also keeps its activity). */
  async remember(key: string, user: string, server: string, userOptions: Record<string, Json>): Promise<void> {
    if (server !== '') return this.#named.remember(key, user, server, userOptions)
    // Most starts repeat the last options: no store write for those.
    if (isDeepStrictEqual(this.get(key, user, server), userOptions)) return
    const userCreated = this.#userCreated?.(user)
    await this.#store.commit({ op: 'defaults.put', key, entry: { userOptions, ...(userCreated === undefined ? {} : { userCreated }) } })
  }

  /** Drops the default servers' options of users that are gone. */
  async forgetOrphans(): Promise<void> {
    if (this.#userCreated === undefined) return
    for (const [key, entry] of Object.entries(lastDefaultOptionsOf(this.#store.state))) {
      const created = this.#userCreated(key.slice(0, key.indexOf('/')))
      if (created === undefined || created !== entry.userCreated) await this.#store.commit({ op: 'defaults.delete', key })
    }
  }
}
