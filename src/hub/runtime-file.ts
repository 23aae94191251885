/**
 * How `monohub user|token` reach a hub that is running on the same data dir:
 * at start the hub writes `<dataDir>/hub-runtime.json` (mode 0600) with its
 * local URL and an admin token made for this start only. The token's hash is
 * kept in memory (identity.ts) and never stored, so it dies with the process;
 * the file is as secret as the data dir (whoever can read it could also
 * read the store).
 */
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { HubContext } from './context.ts'
import { acceptCliToken } from './identity.ts'
import { writeFileDurably } from '../store/durable-file.ts'
import { TOKEN_PREFIX } from '../auth/tokens.ts'
import { ExplainedError } from '../explained-error.ts'

export const RUNTIME_FILE_NAME = 'hub-runtime.json'

export interface HubRuntime {
  /** Where the CLI reaches the hub, e.g. "http://127.0.0.1:8000" (no /hub/api suffix). */
  url: string
  /** Admin token valid while this hub process runs. */
  token: string
  /** The hub's process id (for messages). */
  pid: number
}

export class RuntimeFileError extends ExplainedError {
  constructor(message: string) {
    super('RUNTIME_FILE_BAD', 500, message)
  }
}

export function runtimeFilePath(dataDir: string): string {
  return path.join(dataDir, RUNTIME_FILE_NAME)
}

/** Mints the in-memory admin token the CLI uses through the running hub. Call once per start. */
export function createCliToken(hub: HubContext): string {
  const token = TOKEN_PREFIX + 'cli_' + randomBytes(32).toString('base64url')
  acceptCliToken(hub, token)
  return token
}

/** Writes the runtime file (atomically, mode 0600). */
export async function writeRuntimeFile(dataDir: string, runtime: { url: string; token: string }): Promise<void> {
  const data: HubRuntime = { url: runtime.url, token: runtime.token, pid: process.pid }
  await writeFileDurably(runtimeFilePath(dataDir), JSON.stringify(data, null, 2) + '\n', 0o600)
}

/** The running hub's URL and token, or null when there is no runtime file. */
export async function readRuntimeFile(dataDir: string): Promise<HubRuntime | null> {
  const file = runtimeFilePath(dataDir)
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new RuntimeFileError(`cannot read ${file}: ${(err as Error).message} — run the command as the user the hub runs as`)
  }
  let data: Partial<HubRuntime>
  try {
    data = JSON.parse(text) as Partial<HubRuntime>
  } catch {
    throw new RuntimeFileError(`${file} is not valid JSON — restart the hub to rewrite it`)
  }
  if (typeof data !== 'object' || data === null || typeof data.url !== 'string' || typeof data.token !== 'string') {
    throw new RuntimeFileError(`${file} lacks "url" or "token" — restart the hub to rewrite it`)
  }
  return { url: data.url, token: data.token, pid: typeof data.pid === 'number' ? data.pid : 0 }
}

/** Removes the runtime file at a clean stop (missing is fine). */
export async function removeRuntimeFile(dataDir: string): Promise<void> {
  await fs.rm(runtimeFilePath(dataDir), { force: true })
}
