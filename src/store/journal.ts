/**
 * Owns one journal file: append-only JSON lines, made durable by group commit,
 * and read back by replay.
 *
 * Entries appended in the same turn of the event loop go to disk together
 * (group commit), so ten callers with a change each cost one fsync, not ten.
 * Up to MAX_SYNCS_IN_FLIGHT batches may be syncing at once: the disk merges
 * concurrent fdatasyncs, so a caller arriving while one is in flight need not
 * wait for it to finish before its own starts (measured on ext4: 1 at a time
 * ≈ 2,400 syncs/s, 4 at a time ≈ 5,000–6,000). Writes stay strictly in append
 * order (each batch is written after the one before it), and acknowledgements
 * too: a batch resolves only after every earlier batch has.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import { fsyncDir } from './durable-file.ts'
import { StateFileError, StoreWriteError } from './errors.ts'

const fdatasync = promisify(fs.fdatasync)
const open = promisify(fs.open)
const close = promisify(fs.close)

const APPEND_NEW = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_EXCL
const APPEND_EXISTING = fs.constants.O_WRONLY | fs.constants.O_APPEND

/** Batches syncing at once; the libuv threadpool (4 threads) also serves DNS, crypto and zlib. */
const MAX_SYNCS_IN_FLIGHT = 3

/** Lines waiting for one write+fsync, and the promise all their appenders wait on. */
interface Batch {
  lines: string[]
  promise: Promise<void>
  resolve: () => void
  reject: (error: Error) => void
}

function newBatch(): Batch {
  let resolve!: () => void
  let reject!: (error: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  // A batch nobody awaited (e.g. only close() waits on it) must not crash the process when it fails.
  promise.catch(() => {})
  return { lines: [], promise, resolve, reject }
}

export interface JournalOptions {
  file: string
  /** Bytes already in the file (after replay). */
  size?: number
  /**
   * The journal segment before this one: nothing is written here until it is
   * closed, so the disk never holds a later change without an earlier one.
   */
  previous?: Journal
}

export class Journal {
  readonly file: string
  #size: number
  #previous: Journal | undefined
  #fd: number | undefined
  #batch: Batch = newBatch()
  /** Batches taken for flushing and not yet settled. */
  #inFlight = 0
  /** Settles once the last batch taken has been written (never rejects): the next write waits for it. */
  #written: Promise<void> = Promise.resolve()
  /** Settles once the last batch taken has been acknowledged or failed (never rejects). */
  #acked: Promise<void> = Promise.resolve()
  #scheduled = false
  #failure: StoreWriteError | undefined
  #closing: Promise<void> | undefined
  /** Number of write+fsync rounds done (tests check that commits were grouped). */
  syncs = 0

  constructor(options: JournalOptions) {
    this.file = options.file
    this.#size = options.size ?? 0
    this.#previous = options.previous
  }

  /** Bytes in the file including entries not yet written. */
  get size(): number {
    return this.#size
  }

  /** Set once a write or fsync failed; every later append fails with it. */
  get failure(): StoreWriteError | undefined {
    return this.#failure ?? this.#previous?.failure
  }

  /** Appends one entry; resolves once it is on disk. Serialises `entry` now. */
  append(entry: unknown): Promise<void> {
    const failure = this.failure
    if (failure !== undefined) return Promise.reject(failure)
    if (this.#closing !== undefined) return Promise.reject(new Error(`journal ${this.file} is closed`))
    const line = JSON.stringify(entry) + '\n'
    this.#size += Buffer.byteLength(line)
    const batch = this.#batch
    batch.lines.push(line)
    this.#schedule()
    return batch.promise
  }

  /** Waits until everything appended is on disk (or failed), then closes the file. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#drainAndClose()
    return this.#closing
  }

  async #drainAndClose(): Promise<void> {
    if (this.#batch.lines.length > 0) await this.#batch.promise.catch(() => {})
    await this.#acked
    if (this.#fd !== undefined) {
      const fd = this.#fd
      this.#fd = undefined
      await close(fd)
    }
  }

  /**
   * Starts a flush on the next turn of the event loop, not now: callers whose
   * previous change just resolved get to append theirs first and share the fsync.
   */
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= MAX_SYNCS_IN_FLIGHT) return
    this.#scheduled = true
    setImmediate(() => this.#flush())
  }

  #flush(): void {
    this.#scheduled = false
    const batch = this.#batch
    if (batch.lines.length === 0) return
    this.#batch = newBatch()
    this.#inFlight++
    const written = this.#written.then(() => this.#write(batch))
    this.#written = written.then(() => {}, () => {})
    const earlierAcked = this.#acked
    this.#acked = this.#sync(batch, written, earlierAcked)
  }

  /**
   * Writes one batch at the end of the file (called in batch order, one at a
   * time). A failure is recorded before the next batch's write can start, so
   * nothing is ever written after a partly written batch.
   */
  async #write(batch: Batch): Promise<number> {
    try {
      return await this.#writeLines(batch.lines)
    } catch (error) {
      this.#failure ??= error instanceof StoreWriteError ? error : new StoreWriteError(this.file, error)
      throw this.#failure
    }
  }

  async #writeLines(lines: string[]): Promise<number> {
    if (this.#previous !== undefined) {
      const previous = this.#previous
      await previous.close()
      this.#failure ??= previous.failure
      this.#previous = undefined
    }
    if (this.#failure !== undefined) throw this.#failure
    this.#fd ??= await this.#open()
    const fd = this.#fd
    const buffer = Buffer.from(lines.join(''))
    // Synchronous on purpose: a few KiB into the page cache takes microseconds,
    // while a threadpool round trip costs two wake-ups (milliseconds on a busy
    // machine) on every acknowledged change. The fdatasync stays asynchronous.
    let offset = 0
    while (offset < buffer.length) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset)
    return fd
  }

  /** Makes a written batch durable, then acknowledges it after every earlier batch. Never rejects. */
  async #sync(batch: Batch, written: Promise<number>, earlierAcked: Promise<void>): Promise<void> {
    try {
      await fdatasync(await written)
      await earlierAcked
      // An earlier batch failed: its entries come before ours, so ours fail too.
      if (this.#failure !== undefined) throw this.#failure
      this.syncs++
      batch.resolve()
    } catch (error) {
      this.#failure ??= error instanceof StoreWriteError ? error : new StoreWriteError(this.file, error)
      batch.reject(this.#failure)
      this.#batch.reject(this.#failure)
    } finally {
      this.#inFlight--
    }
    if (this.#batch.lines.length > 0) this.#schedule()
  }

  /** Opens for appending; a new file's folder entry is fsynced before anything in it counts as durable. */
  async #open(): Promise<number> {
    try {
      const fd = await open(this.file, APPEND_NEW, 0o600)
      await fsyncDir(path.dirname(this.file))
      return fd
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      return open(this.file, APPEND_EXISTING)
    }
  }
}

export interface ReplayOptions {
  /** Whether an unfinished last line may be dropped (true for the newest segment). */
  tolerateTornTail: boolean
  onWarning?: (message: string) => void
}

/**
 * Reads `file` and calls `apply` with each entry in order; returns the file's
 * size afterwards. A torn last line (a write cut short by a crash — that change
 * was never acknowledged) is cut off the file; any other bad line is a StateFileError.
 */
export async function replayJournal(
  file: string,
  apply: (entry: unknown, line: number) => void,
  options: ReplayOptions,
): Promise<number> {
  let text: string
  try {
    text = await fsp.readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
  const lines = text.split('\n')
  // After a final '\n' split() yields one empty string; anything else there is an unterminated line.
  const unterminated = lines.pop()!
  let goodBytes = 0
  let torn: { line: number; reason: string } | undefined
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    let entry: unknown
    try {
      entry = JSON.parse(line)
    } catch (error) {
      if (i === lines.length - 1 && unterminated === '') {
        torn = { line: i + 1, reason: 'is not valid JSON' }
        break
      }
      throw new StateFileError(
        file,
        `journal ${file} line ${i + 1} is not valid JSON (${(error as Error).message}) — the file is damaged; move it aside (losing the changes in it) or restore it from a backup`,
        { cause: error },
      )
    }
    apply(entry, i + 1)
    goodBytes += Buffer.byteLength(line) + 1
  }
  if (torn === undefined && unterminated !== '') torn = { line: lines.length + 1, reason: 'has no line end' }
  if (torn === undefined) return goodBytes
  if (!options.tolerateTornTail) {
    throw new StateFileError(
      file,
      `journal ${file} line ${torn.line} ${torn.reason}, but later journal files exist — the data dir is damaged; restore it from a backup or move the later journal files aside`,
    )
  }
  options.onWarning?.(`journal ${file}: dropped an unfinished last line ${torn.line} (a write cut short by a crash; it was never acknowledged)`)
  await truncateDurably(file, goodBytes)
  return goodBytes
}

async function truncateDurably(file: string, size: number): Promise<void> {
  const handle = await fsp.open(file, 'r+')
  try {
    await handle.truncate(size)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
