/** The last lines of a server's log, for error messages and the spawn page. */
import fs from 'node:fs/promises'

const MAX_BYTES = 16 * 1024

export async function readLogTail(file: string, lines: number): Promise<string[]> {
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(file, 'r')
    const { size } = await handle.stat()
    const length = Math.min(size, MAX_BYTES)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    const all = buffer.toString('utf8').split('\n')
    if (size > length) all.shift() // probably a partial line
    while (all.length > 0 && all.at(-1)!.trim() === '') all.pop()
    return all.slice(-lines).map((line) => (line.length > 500 ? `${line.slice(0, 500)}…` : line))
  } catch {
    return []
  } finally {
    await handle?.close()
  }
}
