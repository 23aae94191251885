/**
 * ServerManager: the lifecycle of users' servers on this node — start (one
 * at a time per server, a global limit on starts at once, a timeout), stop,
 * remove (named servers stay known while stopped, known-named.ts), the poll
 * loop that notices servers that died (and pollOne, when the proxy could not
 * reach one), activity, and re-adoption of running servers when the hub
 * restarts. Framework-free: the hub's pages and REST API call it; the proxy sees only the routes it adds and removes.
 */
import type { Store } from '../store/store.ts'
import type { Json, Spawner } from './spawner.ts'
import type { ServerOp, ServerRecord, ServersState } from './server-store.ts'
import type { ListOptions, ServerEvent, ServerManagerOptions, ServerStatus, SpawnLogger } from './server-status.ts'
import { describeServer } from './server-status.ts'
import { openServerStore } from './server-store.ts'
import { KnownNamedServers } from './known-named.ts'
import { LastOptions } from './last-options.ts'
import { ServerRequestError, SpawnLimitError } from './errors.ts'
import { ProgressFeed, type ProgressEvent } from './progress-feed.ts'
import { checkServerName, checkUserName, expandWorkDir, serverBaseUrl, serverKey, serverLogFile } from './server-names.ts'
import { minimalServerEnv } from './server-env.ts'
import { validateOptions } from './options-form.ts'
import { attemptStart, StartCancelledError, StartTimeoutError } from './spawn-attempt.ts'
import { adoptServers } from './adoption.ts'

export type { ListOptions, ServerEvent, ServerManagerOptions, ServerStatus, SpawnLogger } from './server-status.ts'

interface PendingStart {
  promise: Promise<ServerStatus>
  controller: AbortController
}

const quiet: SpawnLogger = { info() {}, warn() {}, error() {} }

export class ServerManager {
  readonly #o: Required<Omit<ServerManagerOptions, 'onEvent' | 'userCreated'>> & Pick<ServerManagerOptions, 'onEvent' | 'userCreated'>
  readonly #store: Store<ServersState, ServerOp>
  readonly #named: KnownNamedServers
  readonly #lastOptions: LastOptions
  readonly #pending = new Map<string, PendingStart>()
  readonly #stopping = new Map<string, Promise<boolean>>()
  readonly #feeds = new Map<string, ProgressFeed>()
  readonly #pollingOne = new Map<string, Promise<'running' | 'stopped' | 'unknown'>>()
  #spawning = 0
  #recentSpawnMs: number[] = []
  #pollTimer: NodeJS.Timeout | undefined
  #polling: Promise<void> | undefined
  #closed = false

  private constructor(options: ServerManagerOptions, store: Store<ServersState, ServerOp>) {
    this.#o = {
      serverEnv: minimalServerEnv,
      workDir: '{data_dir}/users/{user}',
      startTimeoutMs: 90_000,
      concurrentSpawnLimit: 100,
      allowNamedServers: false,
      namedServerLimitPerUser: 0,
      pollIntervalMs: 30_000,
      logTailLines: 20,
      log: quiet,
      now: Date.now,
      ...options,
    }
    this.#store = store
    this.#named = new KnownNamedServers(store, options.userCreated)
    this.#lastOptions = new LastOptions(store, this.#named, options.userCreated)
  }

  /**
   * Opens the servers store in the data dir and re-adopts every server it
   * lists: still running and answering → its route is restored; gone → its
   * record and route are dropped. Starts the poll loop.
   */
  static async open(options: ServerManagerOptions): Promise<ServerManager> {
    const store = await openServerStore(options.dataDir, options.log === undefined ? undefined : (m) => options.log!.warn({}, m))
    const manager = new ServerManager(options, store)
    try {
      await adoptServers({ store, routes: options.routes, spawner: options.spawner, log: manager.#o.log, emit: (e) => manager.#emit(e) })
      await manager.#named.adoptRunning()
      await manager.#forgetOrphans()
    } catch (error) {
      await store.close()
      throw error
    }
    if (manager.#o.pollIntervalMs > 0) manager.#schedulePoll()
    return manager
  }

  get spawner(): Spawner {
    return this.#o.spawner
  }

  /** The options of the server's last start (the options form shows them again), or undefined. */
  lastOptions(user: string, server = ''): Record<string, Json> | undefined {
    return this.#lastOptions.get(serverKey(user, server), user, server)
  }

  /**
   * Starts `user`'s server (or returns the start already under way); resolves
   * once it is ready and routed. `rawOptions` undefined: the options of the
   * server's last start (see last-options.ts).
   */
  async start(user: string, server = '', rawOptions?: unknown): Promise<ServerStatus> {
    checkUserName(user)
    checkServerName(server)
    const key = serverKey(user, server)
    for (let stopping = this.#stopping.get(key); stopping !== undefined; stopping = this.#stopping.get(key)) await stopping.catch(() => {})
    // From here to registering the pending start there is no await: one start per server.
    const pending = this.#pending.get(key)
    if (pending !== undefined) return pending.promise
    const existing = this.#record(key)
    if (existing?.ready === true) return this.#status(key)!
    if (this.#closed) throw new ServerRequestError('HUB_STOPPING', 'the hub is shutting down — try again in a moment')
    if (server !== '') this.#checkNamedServer(user, server)
    const spec = this.#o.spawner.optionsForm?.()
    const options = rawOptions === undefined ? this.#lastOptions.reuse(key, user, server, spec, this.#o.log) : validateOptions(spec, rawOptions)
    const limit = this.#o.concurrentSpawnLimit
    if (limit > 0 && this.#spawning >= limit) throw new SpawnLimitError(limit, this.#retryAfterSeconds())

    const controller = new AbortController()
    const promise = this.#run(key, user, server, options, controller)
    promise.catch(() => {}) // callers may fire and forget; the failure is in the progress feed
    this.#pending.set(key, { promise, controller })
    return promise
  }

  async #run(key: string, user: string, server: string, options: Record<string, Json>, controller: AbortController): Promise<ServerStatus> {
    this.#spawning++
    const began = Date.now()
    const feed = new ProgressFeed()
    this.#feeds.set(key, feed)
    feed.push({ progress: 0, message: 'Server requested' })
    const timer = setTimeout(() => controller.abort(new StartTimeoutError(this.#o.startTimeoutMs)), this.#o.startTimeoutMs)
    try {
      const baseUrl = serverBaseUrl(user, server)
      const env = await this.#o.serverEnv({ user, serverName: server, baseUrl })
      const ctx = {
        user, serverName: server, baseUrl, env, options,
        workDir: expandWorkDir(this.#o.workDir, this.#o.dataDir, user),
        logFile: serverLogFile(this.#o.dataDir, user, server),
        signal: controller.signal,
      }
      const stale = this.#record(key)
      if (stale !== undefined) await this.#stopRecord(key, stale)
      await this.#lastOptions.remember(key, user, server, options)
      await attemptStart({ spawner: this.#o.spawner, store: this.#store, routes: this.#o.routes, logTailLines: this.#o.logTailLines, startTimeoutMs: this.#o.startTimeoutMs, now: this.#o.now }, { key, ctx, feed })
      this.#recentSpawnMs = [...this.#recentSpawnMs.slice(-19), Date.now() - began]
      this.#o.log.info({ user, server, ms: Date.now() - began }, 'server ready')
      this.#emit({ type: 'ready', user, server })
      this.#pending.delete(key) // settled: the status below is the ready one
      return this.#status(key)!
    } catch (error) {
      const e = error as Error & { code?: string }
      this.#o.log.warn({ user, server, code: e.code }, e.message)
      this.#emit({ type: 'failed', user, server, code: e.code ?? 'SPAWN_FAILED', message: e.message })
      throw error
    } finally {
      clearTimeout(timer)
      this.#spawning--
      this.#pending.delete(key)
      feed.finish()
    }
  }

  /** Stops a server (cancelling a start under way). Resolves true when there was one to stop. */
  stop(user: string, server = ''): Promise<boolean> {
    checkUserName(user)
    checkServerName(server)
    const key = serverKey(user, server)
    const already = this.#stopping.get(key)
    if (already !== undefined) return already
    const stopping = (async () => {
      const pending = this.#pending.get(key)
      let had = false
      if (pending !== undefined) {
        had = true
        pending.controller.abort(new StartCancelledError())
        await pending.promise.catch(() => {})
      }
      const record = this.#record(key)
      if (record === undefined) return had
      await this.#stopRecord(key, record)
      this.#o.log.info({ user, server }, 'server stopped')
      this.#emit({ type: 'stopped', user, server })
      return true
    })().finally(() => this.#stopping.delete(key))
    this.#stopping.set(key, stopping)
    return stopping
  }

  async #stopRecord(key: string, record: ServerRecord): Promise<void> {
    await this.#named.stopping(key, record, this.serverActivity(record.user, record.name))
    await this.#o.routes.delete(serverBaseUrl(record.user, record.name))
    await this.#o.spawner.stop(record.state)
    await this.#store.commit({ op: 'delete', key })
  }

  /**
   * Forgets a named server for good (JupyterHub's DELETE …/servers/<name>
   * with {"remove": true}): stops it if it runs, then drops it from the list.
   * Resolves true when there was one. The default server cannot be removed.
   */
  async remove(user: string, server: string): Promise<boolean> {
    checkUserName(user)
    checkServerName(server)
    if (server === '') throw new ServerRequestError('DEFAULT_SERVER_REMOVE', `${user}'s default server cannot be removed, only stopped`)
    const stopped = await this.stop(user, server)
    const removed = (await this.#named.forget(serverKey(user, server))) || stopped
    if (removed) this.#o.log.info({ user, server }, 'named server removed')
    return removed
  }

  /** Polls every ready server once; a server that has stopped loses its route and record. */
  pollAll(): Promise<void> {
    this.#polling ??= this.#pollOnce().finally(() => { this.#polling = undefined })
    return this.#polling
  }

  /**
   * Polls one server now (e.g. when the proxy could not reach it) instead of
   * at the next round; a dead one loses its route and record at once.
   * Concurrent calls for the same server share one poll.
   */
  pollOne(user: string, server = ''): Promise<'running' | 'stopped' | 'unknown'> {
    const key = serverKey(user, server)
    let polling = this.#pollingOne.get(key)
    if (polling === undefined) {
      polling = this.#pollRecord(key).finally(() => this.#pollingOne.delete(key))
      this.#pollingOne.set(key, polling)
    }
    return polling
  }

  async #pollOnce(): Promise<void> {
    for (const record of Object.values(this.#store.state.servers)) await this.pollOne(record.user, record.name)
    await this.#forgetOrphans()
  }

  /** 'unknown': not a ready server, busy starting or stopping, or the spawner could not tell. */
  async #pollRecord(key: string): Promise<'running' | 'stopped' | 'unknown'> {
    const record = this.#record(key)
    if (record === undefined || this.#pending.has(key) || this.#stopping.has(key) || !record.ready) return 'unknown'
    let status: 'running' | 'stopped'
    try {
      status = await this.#o.spawner.poll(record.state)
    } catch (error) {
      this.#o.log.warn({ user: record.user, server: record.name }, `could not poll the server: ${(error as Error).message}`)
      return 'unknown'
    }
    if (status === 'running') return 'running'
    if (this.#record(key) !== record || this.#pending.has(key) || this.#stopping.has(key)) return 'unknown'
    const why = this.#o.spawner.describeExit?.(record.state)
    this.#o.log.warn({ user: record.user, server: record.name }, `server ${serverBaseUrl(record.user, record.name)} stopped on its own${why === undefined ? '' : ` (it ${why})`}; its route is removed`)
    await this.#named.stopping(key, record, this.serverActivity(record.user, record.name))
    await this.#o.routes.delete(serverBaseUrl(record.user, record.name))
    await this.#store.commit({ op: 'delete', key })
    this.#emit({ type: 'died', user: record.user, server: record.name })
    return 'stopped'
  }

  #schedulePoll(): void {
    this.#pollTimer = setTimeout(() => {
      this.pollAll().catch((error: unknown) => this.#o.log.error({ err: error }, 'polling servers failed'))
        .finally(() => { if (!this.#closed) this.#schedulePoll() })
    }, this.#o.pollIntervalMs)
    this.#pollTimer.unref()
  }

  /** A server's own activity report (e.g. POST /hub/api/users/<name>/activity); only moves forward. */
  async recordActivity(user: string, server: string, when: number): Promise<boolean> {
    const key = serverKey(user, server)
    const record = this.#record(key)
    if (record === undefined) return false
    const at = Math.min(when, this.#o.now())
    if (!Number.isFinite(at) || at <= (record.lastActivity ?? 0)) return true
    await this.#store.commit({ op: 'activity', key, at })
    return true
  }

  /** Latest activity: proxy traffic on its route, its own reports, or its start. */
  serverActivity(user: string, server = ''): number | undefined {
    const record = this.#record(serverKey(user, server))
    if (record === undefined) return undefined
    const route = this.#o.routes.get(serverBaseUrl(user, server))
    return Math.max(record.started, record.lastActivity ?? 0, route?.record.lastActivity ?? 0)
  }

  /** The persisted record (spawner state, url …), e.g. for an admin's detail view. Do not change it. */
  record(user: string, server = ''): Readonly<ServerRecord> | undefined {
    return this.#record(serverKey(user, server))
  }

  /** A running or pending server; with `includeStopped`, also a known stopped named one (`stopped: true`). */
  status(user: string, server = '', options: ListOptions = {}): ServerStatus | undefined {
    const status = this.#status(serverKey(user, server))
    return status?.stopped === true && options.includeStopped !== true ? undefined : status
  }

  /** Every running or pending server of `user` (or of everyone); with `includeStopped`, the known stopped named ones too. */
  list(user?: string, options: ListOptions = {}): ServerStatus[] {
    const stopped = options.includeStopped === true
    const keys = new Set([...Object.keys(this.#store.state.servers), ...this.#pending.keys(), ...(stopped ? this.#named.keys() : [])])
    const out: ServerStatus[] = []
    for (const key of keys) {
      if (user !== undefined && !key.startsWith(`${user}/`)) continue
      const status = this.#status(key)
      if (status !== undefined && (stopped || status.stopped !== true)) out.push(status)
    }
    return out
  }

  /** The progress of the current (or last) start: past events, then live ones until it ends. */
  progress(user: string, server = ''): AsyncIterable<ProgressEvent> {
    const key = serverKey(user, server)
    const feed = this.#feeds.get(key)
    const record = this.#record(key)
    if (record?.ready === true && !this.#pending.has(key)) {
      const done = new ProgressFeed()
      done.push({ progress: 100, message: 'Server ready', ready: true, url: serverBaseUrl(user, server) })
      done.finish()
      return done
    }
    if (feed !== undefined) return feed
    const none = new ProgressFeed()
    none.push({ progress: 0, message: 'No server is starting', failed: true })
    none.finish()
    return none
  }

  /** Servers starting right now on this node. */
  get spawning(): number {
    return this.#spawning
  }

  /**
   * Stops the poll loop and closes the store. Servers keep running (the next
   * hub adopts them); starts under way are cancelled and cleaned up.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#pollTimer)
    for (const pending of this.#pending.values()) pending.controller.abort(new StartCancelledError())
    await Promise.allSettled([...this.#pending.values()].map((p) => p.promise))
    await this.#polling?.catch(() => {})
    await Promise.allSettled([...this.#stopping.values()])
    await this.#store.close()
  }

  /** Stops every server (for a hub configured to stop servers on shutdown). */
  async stopAll(): Promise<void> {
    await Promise.allSettled(this.list().map((s) => this.stop(s.user, s.name)))
  }

  #record(key: string): ServerRecord | undefined {
    return Object.hasOwn(this.#store.state.servers, key) ? this.#store.state.servers[key] : undefined
  }

  #status(key: string): ServerStatus | undefined {
    const record = this.#record(key)
    const starting = this.#pending.has(key)
    return describeServer(key, {
      record,
      starting,
      stopping: this.#stopping.has(key),
      known: record === undefined && !starting ? this.#named.get(key) : undefined,
      lastActivity: record === undefined ? undefined : this.serverActivity(record.user, record.name),
    })
  }

  #checkNamedServer(user: string, server: string): void {
    if (!this.#o.allowNamedServers) throw new ServerRequestError('NAMED_SERVERS_OFF', `named servers are not enabled on this hub, so '${server}' cannot be started — use the default server`)
    const limit = this.#o.namedServerLimitPerUser
    if (limit <= 0) return
    const named = this.list(user, { includeStopped: true }).filter((s) => s.name !== '' && s.name !== server).length
    if (named >= limit) throw new ServerRequestError('NAMED_SERVER_LIMIT', `${user} already has ${named} named servers, the most allowed (stopped ones count too) — remove one first`)
  }

  /** Stopped named servers and last options of deleted users are dropped from the store (list() hides them already). */
  async #forgetOrphans(): Promise<void> {
    await this.#named.forgetOrphans((key) => this.#record(key) !== undefined || this.#pending.has(key))
    await this.#lastOptions.forgetOrphans()
  }

  #retryAfterSeconds(): number {
    const recent = this.#recentSpawnMs
    const average = recent.length === 0 ? 5000 : recent.reduce((a, b) => a + b, 0) / recent.length
    return Math.min(Math.max(Math.ceil(average / 1000), 1), 60)
  }

  #emit(event: ServerEvent): void {
    try {
      this.#o.onEvent?.(event)
    } catch (error) {
      this.#o.log.error({ err: error }, 'a server event listener threw')
    }
  }
}
