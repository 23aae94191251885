/**
 * Owns the durable Store: a lowdb snapshot (`<name>.json`) plus a journal of
 * the changes made since, split into numbered segments (`<name>.journal.<n>`).
 *
 * commit = apply in memory, append to the current segment, resolve after the
 * group fsync. Compaction serialises the state and switches to a new segment
 * in the same synchronous step, so every change is in exactly one of "the
 * snapshot" and "segments from snapshot.journalSegment on"; older segments are
 * deleted only once the snapshot is durable. Open = snapshot + those segments.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { Low } from 'lowdb'
import type { Store, StoreOptions } from './store.ts'
import { DurableJsonFile } from './durable-file.ts'
import { Journal, replayJournal } from './journal.ts'
import { acquireLock, type StoreLock } from './lock.ts'
import { StateFileError, StoreClosedError } from './errors.ts'

const DEFAULT_COMPACT_AFTER_BYTES = 8 * 1024 * 1024

function defaultWarn(message: string): void {
  process.emitWarning(message, 'MonohubStoreWarning')
}

/** What `<name>.json` holds: the state and the first journal segment not in it. */
export interface Snapshot<S> {
  version: 1
  journalSegment: number
  state: S
}

/**
 * Opens (creating if needed) the store `options.name` in `options.dir`; takes
 * its lock, so a second opener fails with StoreLockedError until close().
 * A damaged snapshot or journal is a StateFileError, never an empty state.
 */
export async function openStore<S, Op>(options: StoreOptions<S, Op>): Promise<Store<S, Op>> {
  await fs.mkdir(options.dir, { recursive: true, mode: 0o700 })
  const lock = await acquireLock(options.dir, options.name)
  try {
    return await DurableStore.load(options, lock)
  } catch (error) {
    await lock.release()
    throw error
  }
}

function segmentFile(dir: string, name: string, segment: number): string {
  return path.join(dir, `${name}.journal.${segment}`)
}

/** Numbers of the journal segments in `dir`, oldest first. */
async function listSegments(dir: string, name: string): Promise<number[]> {
  const prefix = `${name}.journal.`
  const segments: number[] = []
  for (const entry of await fs.readdir(dir)) {
    if (!entry.startsWith(prefix)) continue
    const rest = entry.slice(prefix.length)
    if (/^[1-9][0-9]*$/.test(rest)) segments.push(Number(rest))
  }
  return segments.sort((a, b) => a - b)
}

function checkSnapshot<S>(file: string, data: unknown): asserts data is Snapshot<S> {
  const snapshot = data as Partial<Snapshot<S>> | null
  if (
    typeof snapshot !== 'object' || snapshot === null ||
    snapshot.version !== 1 ||
    !Number.isSafeInteger(snapshot.journalSegment) || snapshot.journalSegment! < 1 ||
    typeof snapshot.state !== 'object' || snapshot.state === null
  ) {
    throw new StateFileError(
      file,
      `state file ${file} is not a monohub store snapshot (expected {"version": 1, "journalSegment": n, "state": {…}}) — move it aside or start with --data-dir on an empty folder`,
    )
  }
}

class DurableStore<S, Op> implements Store<S, Op> {
  readonly state: S
  readonly #options: StoreOptions<S, Op>
  readonly #db: Low<Snapshot<S>>
  readonly #lock: StoreLock
  readonly #compactAfterBytes: number
  readonly #warn: (message: string) => void
  #segment: number
  #journal: Journal
  /** The last compaction started; the next one runs after it. */
  #compaction: Promise<void> = Promise.resolve()
  #compactionsQueued = 0
  #closing: Promise<void> | undefined

  private constructor(options: StoreOptions<S, Op>, db: Low<Snapshot<S>>, lock: StoreLock, segment: number, journal: Journal) {
    this.#options = options
    this.#db = db
    this.#lock = lock
    this.state = db.data.state
    this.#segment = segment
    this.#journal = journal
    this.#compactAfterBytes = options.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES
    this.#warn = options.onWarning ?? defaultWarn
  }

  static async load<S, Op>(options: StoreOptions<S, Op>, lock: StoreLock): Promise<DurableStore<S, Op>> {
    const { dir, name } = options
    const warn = options.onWarning ?? defaultWarn
    const snapshotFile = path.join(dir, `${name}.json`)
    const db = new Low<Snapshot<S>>(new DurableJsonFile<Snapshot<S>>(snapshotFile), {
      version: 1,
      journalSegment: 1,
      state: options.initial(),
    })
    await db.read()
    checkSnapshot<S>(snapshotFile, db.data)
    const state = db.data.state
    options.onLoad?.(state)

    let segment = db.data.journalSegment
    const segments = await listSegments(dir, name)
    // Segments before the snapshot's are in it already (left by a compaction cut short).
    for (const old of segments.filter((n) => n < segment)) await fs.rm(segmentFile(dir, name, old), { force: true })
    const live = segments.filter((n) => n >= segment)
    const sizes = await Promise.all(live.map(async (n) => (await fs.stat(segmentFile(dir, name, n))).size))
    const lastNonEmpty = sizes.findLastIndex((size) => size > 0)
    let size = 0
    for (const [i, n] of live.entries()) {
      const file = segmentFile(dir, name, n)
      const apply = (entry: unknown, line: number): void => {
        try {
          options.apply(state, entry as Op)
        } catch (error) {
          throw new StateFileError(
            file,
            `journal ${file} line ${line} could not be applied (${(error as Error).message}) — the file is damaged or from another version; restore the data dir from a backup or move the file aside (losing the changes in it)`,
            { cause: error },
          )
        }
      }
      size = await replayJournal(file, apply, { tolerateTornTail: i >= lastNonEmpty, onWarning: warn })
      segment = n
    }
    const journal = new Journal({ file: segmentFile(dir, name, segment), size })
    return new DurableStore(options, db, lock, segment, journal)
  }

  commit(op: Op): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError(this.#options.name))
    const failure = this.#journal.failure
    if (failure !== undefined) return Promise.reject(failure)
    try {
      this.#options.apply(this.state, op)
    } catch (error) {
      return Promise.reject(error)
    }
    const durable = this.#journal.append(op)
    if (this.#compactionsQueued === 0 && this.#journal.size >= this.#compactAfterBytes) {
      this.#queueCompaction().catch((error: unknown) => {
        const file = path.join(this.#options.dir, `${this.#options.name}.json`)
        this.#warn(`could not write the snapshot ${file}: ${(error as Error).message} — every change is still in the journal; will try again later`)
      })
    }
    return durable
  }

  compact(): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new StoreClosedError(this.#options.name))
    return this.#queueCompaction()
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#compaction.catch(() => {})
      await this.#journal.close()
      await this.#lock.release()
    })()
    return this.#closing
  }

  #queueCompaction(): Promise<void> {
    this.#compactionsQueued++
    const run = this.#compaction
      .catch(() => {})
      .then(() => this.#compactOnce())
      .finally(() => {
        this.#compactionsQueued--
      })
    this.#compaction = run
    return run
  }

  async #compactOnce(): Promise<void> {
    const failure = this.#journal.failure
    if (failure !== undefined) throw failure
    const { dir, name } = this.#options
    const next = this.#segment + 1
    // These three steps run without a commit in between: the snapshot holds
    // exactly the changes written to segments before `next`.
    this.#db.data = { version: 1, journalSegment: next, state: this.state }
    const written = this.#db.write() // DurableJsonFile serialises before returning
    const old = this.#journal
    this.#segment = next
    this.#journal = new Journal({ file: segmentFile(dir, name, next), previous: old })

    await written
    await old.close()
    for (const segment of await listSegments(dir, name)) {
      if (segment < next) await fs.rm(segmentFile(dir, name, segment), { force: true })
    }
  }
}
