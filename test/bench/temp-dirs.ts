/**
 * Temporary folders of a run (monohub data dirs, nginx prefix, wrk script):
 * created under the OS temp dir and all removed when the run ends, however it ends.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const created: string[] = []

export function benchTempDir(purpose: string): string {
  const dir = mkdtempSync(join(tmpdir(), `monohub-bench-${purpose}-`))
  created.push(dir)
  return dir
}

/** Synchronous so it can run in an 'exit' handler; call after the children are dead. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
    } catch {
      // best effort: a folder left in the temp dir is not worth failing the run
    }
  }
}
