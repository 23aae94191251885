/** A fresh temporary folder per test, removed when the test ends. */
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export async function tempDir(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'monohub-store-'))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}
