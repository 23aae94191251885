/**
 * The Store seam: one durable state object per file, changed only by ops.
 *
 * An op is applied to the in-memory state at once (so readers see it
 * immediately) and appended to a journal; `commit` resolves once the op is
 * durable (group-commit fsync), so a caller that acknowledges a change after
 * awaiting it never loses it, also across kill -9. The snapshot (a lowdb file)
 * is rewritten in the background when the journal grows; start-up loads the
 * snapshot and replays the journal.
 *
 * One writer per data dir: a second process opening the same store fails.
 */

export interface Store<S, Op> {
  /** The current state. Read it freely; change it only through commit(). */
  readonly state: S
  /** Applies `op` now and resolves once it is durable. */
  commit(op: Op): Promise<void>
  /** Writes a fresh snapshot and starts a new journal (also done in the background). */
  compact(): Promise<void>
  /** Flushes pending writes and releases the lock. */
  close(): Promise<void>
}

export interface StoreOptions<S, Op> {
  /**
   * Folder that holds `<name>.json` (snapshot), the journal segments
   * `<name>.journal.<n>` and `<name>.lock`. Created with mode 0700 if missing.
   */
  dir: string
  name: string
  /** The state of an empty store. */
  initial: () => S
  /** Applies one op to the state, in place. Must be deterministic: it runs again on replay. */
  apply: (state: S, op: Op) => void
  /** Rewrite the snapshot once the journal holds this many bytes (default 8 MiB). */
  compactAfterBytes?: number
  /**
   * Called once at open with the state loaded from the snapshot, before the
   * journal is replayed through `apply` — e.g. to build an index of the state.
   */
  onLoad?: (state: S) => void
  /**
   * Things a person should know that do not stop the store: a torn last
   * journal line dropped at open, a background snapshot that failed (the
   * journal keeps every change meanwhile). Default: process.emitWarning.
   */
  onWarning?: (message: string) => void
}
