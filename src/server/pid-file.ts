/**
 * CHP's --pid-file: the process id written at start and removed at stop, so
 * JupyterHub can find (and stop) a proxy it started earlier.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { ExplainedError } from '../explained-error.ts'

export class PidFileError extends ExplainedError {
  constructor(file: string, cause: unknown) {
    super('PID_FILE_UNWRITABLE', 500, `cannot write pid file ${file}: ${(cause as Error).message} — fix the folder's permissions or choose another --pid-file`, { cause })
  }
}

export interface PidFile {
  /** Removes the file if it still holds our pid. Safe to call more than once. */
  remove(): void
}

export function writePidFile(file: string, pid = process.pid): PidFile {
  try {
    writeFileSync(file, String(pid))
  } catch (err) {
    throw new PidFileError(file, err)
  }
  let removed = false
  const remove = (): void => {
    if (removed) return
    removed = true
    process.off('exit', remove)
    try {
      // Another process may have taken the file over since; leave it alone then.
      if (readFileSync(file, 'utf8').trim() === String(pid)) unlinkSync(file)
    } catch {
      // Already gone.
    }
  }
  // Also on exits that skip a graceful stop (process.exit after a fatal error).
  process.on('exit', remove)
  return { remove }
}
