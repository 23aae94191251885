/**
 * Owns writing and reading whole JSON files so that a completed write survives
 * kill -9 and power loss: the lowdb adapter used for store snapshots.
 *
 * write = `<file>.tmp`, fsync, rename over `<file>`, fsync the folder (steno,
 * lowdb's own writer, skips both fsyncs). read = parse; a missing file is
 * "no data yet", a corrupt one is a StateFileError — never an empty state.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Adapter } from 'lowdb'
import { StateFileError } from './errors.ts'

/** fsync a folder so that a rename or a new file in it is on disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Replaces `file` with `text` atomically and durably (temp file, fsync, rename, fsync folder). */
export async function writeFileDurably(file: string, text: string, mode = 0o600): Promise<void> {
  const temp = `${file}.tmp`
  const handle = await fs.open(temp, 'w', mode)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.rename(temp, file)
  await fsyncDir(path.dirname(file))
}

/** Parses JSON text read from `file`; on failure throws a StateFileError naming the byte position. */
export function parseJsonFile(file: string, text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    const byte = errorByte(text, error)
    const where = byte === undefined ? '' : ` at byte ${byte}`
    throw new StateFileError(
      file,
      `state file ${file} is not valid JSON${where} (truncated write?) — move it aside or start with --data-dir on an empty folder`,
      { cause: error },
    )
  }
}

/** Byte offset of a JSON.parse failure, from V8's message ("at position N" counts UTF-16 units). */
function errorByte(text: string, error: unknown): number | undefined {
  const message = error instanceof Error ? error.message : ''
  const position = /at position (\d+)/.exec(message)
  if (position !== null) return Buffer.byteLength(text.slice(0, Number(position[1])))
  if (message.includes('end of JSON input')) return Buffer.byteLength(text)
  if (message.startsWith('Unexpected token')) return 0
  return undefined
}

/**
 * lowdb adapter for one JSON file with durable writes.
 *
 * `write(data)` serialises `data` before it returns (synchronously), so the
 * caller may keep changing `data` while the bytes go to disk: the file holds
 * the state as it was at the call.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly file: string
  readonly #mode: number

  constructor(file: string, mode = 0o600) {
    this.file = file
    this.#mode = mode
  }

  async read(): Promise<T | null> {
    let text: string
    try {
      text = await fs.readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw error
    }
    return parseJsonFile(this.file, text) as T
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify(data)
    return writeFileDurably(this.file, text, this.#mode)
  }
}
