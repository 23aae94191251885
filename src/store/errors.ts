/**
 * Errors of the durable store, each with a stable `code` and a message that
 * says which file or folder is affected and what a person can do about it.
 */

/** A snapshot or journal file that cannot be read back (corrupt, truncated, wrong shape). */
export class StateFileError extends Error {
  readonly code = 'STATE_FILE_CORRUPT'
  readonly status = 500
  /** The file that could not be read. */
  readonly file: string

  constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'StateFileError'
    this.file = file
  }
}

/** Another live process holds the store's lock file. */
export class StoreLockedError extends Error {
  readonly code = 'STORE_LOCKED'
  readonly status = 500
  readonly dir: string
  /** The holder's pid, or undefined while its lock file is still being written. */
  readonly pid: number | undefined

  constructor(dir: string, pid: number | undefined) {
    const holder = pid === undefined ? 'another process (starting up)' : `process ${pid}`
    super(`data dir ${dir} is in use by ${holder} — stop it or use another --data-dir`)
    this.name = 'StoreLockedError'
    this.dir = dir
    this.pid = pid
  }
}

/**
 * A journal write or fsync failed (disk full, I/O error). What reached the disk
 * is unknown, so the store refuses further changes until it is reopened.
 */
export class StoreWriteError extends Error {
  readonly code = 'STORE_WRITE_FAILED'
  readonly status = 500

  constructor(file: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super(`could not write ${file}: ${reason} — free disk space or fix the data dir, then restart (changes since the last successful write were not saved)`, { cause })
    this.name = 'StoreWriteError'
  }
}

/** commit() after close(). */
export class StoreClosedError extends Error {
  readonly code = 'STORE_CLOSED'
  readonly status = 503

  constructor(name: string) {
    super(`store '${name}' is closed — the server is shutting down`)
    this.name = 'StoreClosedError'
  }
}
