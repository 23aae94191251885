/**
 * The hub's secrets: cookie signing keys and the CSRF key, kept apart from
 * state in `<dataDir>/secrets.json` (mode 0600), generated on first start.
 *
 * MONOHUB_COOKIE_SECRETS (comma-separated; MONOHUB_COOKIE_SECRET for one)
 * overrides the cookie keys — cluster nodes must share them. The first key
 * signs, all verify, so a new key can be put first and the old one dropped
 * once every session signed with it has expired.
 */
import { randomBytes, createHmac } from 'node:crypto'
import { promises as fs, constants as fsc } from 'node:fs'
import path from 'node:path'
import { ExplainedError } from '../explained-error.ts'

export interface HubSecrets {
  /** First signs, all verify. */
  cookieKeys: string[]
  csrfKey: string
  /** Where the cookie keys came from (for the start-up log line). */
  cookieKeysFrom: 'file' | 'env'
  file: string
}

interface SecretsFile {
  version: 1
  cookieKeys: string[]
  csrfKey: string
}

export const SECRETS_FILE_NAME = 'secrets.json'
/** Env-provided keys shorter than this are refused: they could be guessed offline from one cookie. */
export const MIN_SECRET_LENGTH = 32

export class SecretsError extends ExplainedError {
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, 500, message, options)
  }
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url')
}

/** Reads MONOHUB_COOKIE_SECRETS / MONOHUB_COOKIE_SECRET; null when neither is set. */
export function cookieKeysFromEnv(env: Record<string, string | undefined>): string[] | null {
  const raw = env.MONOHUB_COOKIE_SECRETS ?? env.MONOHUB_COOKIE_SECRET
  if (raw === undefined || raw.trim() === '') return null
  const name = env.MONOHUB_COOKIE_SECRETS !== undefined ? 'MONOHUB_COOKIE_SECRETS' : 'MONOHUB_COOKIE_SECRET'
  const keys = raw.split(',').map((k) => k.trim()).filter((k) => k.length > 0)
  keys.forEach((key, i) => {
    if (key.length < MIN_SECRET_LENGTH) {
      throw new SecretsError('WEAK_SECRET', `${name}: key ${i + 1} is ${key.length} characters; each key needs at least ${MIN_SECRET_LENGTH} (make one with: openssl rand -base64 32)`)
    }
  })
  return keys
}

function parseSecretsFile(file: string, text: string): SecretsFile {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new SecretsError('SECRETS_FILE_CORRUPT', `secrets file ${file} is not valid JSON — restore it from a backup, or delete it to generate new keys (everyone will have to log in again)`, { cause: err })
  }
  const d = data as Partial<SecretsFile>
  const okKeys = Array.isArray(d.cookieKeys) && d.cookieKeys.length > 0 && d.cookieKeys.every((k) => typeof k === 'string' && k.length >= MIN_SECRET_LENGTH)
  if (!okKeys || typeof d.csrfKey !== 'string' || d.csrfKey.length < MIN_SECRET_LENGTH) {
    throw new SecretsError('SECRETS_FILE_CORRUPT', `secrets file ${file} lacks "cookieKeys" (a list of keys of ≥ ${MIN_SECRET_LENGTH} characters) or "csrfKey" — fix it, or delete it to generate new keys`)
  }
  return { version: 1, cookieKeys: d.cookieKeys as string[], csrfKey: d.csrfKey }
}

/** Refuses a secrets file that group or others can read or write. */
async function checkMode(file: string, handle: fs.FileHandle): Promise<void> {
  if (process.platform === 'win32') return
  const st = await handle.stat()
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(3, '0')
    throw new SecretsError('SECRETS_FILE_MODE', `secrets file ${file} has mode ${mode}: group or others can read it, so its keys may be known — run 'chmod 600 ${file}' (and rotate the keys if others had access)`)
  }
}

async function readSecretsFile(file: string): Promise<SecretsFile | null> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new SecretsError('SECRETS_FILE_UNREADABLE', `cannot read secrets file ${file}: ${(err as Error).message}`, { cause: err })
  }
  try {
    await checkMode(file, handle)
    return parseSecretsFile(file, await handle.readFile('utf8'))
  } finally {
    await handle.close()
  }
}

/**
 * Writes `data` to `file` atomically with mode 0600: a temp file is written
 * and fsynced, then moved into place. With `exclusive`, an existing file wins
 * (two processes starting at once end up with the same keys).
 */
async function writeSecretsFile(file: string, data: SecretsFile, exclusive: boolean): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await fs.open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(JSON.stringify(data, null, 2) + '\n')
    await handle.chmod(0o600) // umask cannot widen it, but be explicit
    await handle.sync()
  } finally {
    await handle.close()
  }
  let placed = true
  try {
    if (exclusive) {
      try {
        await fs.link(tmp, file)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
        placed = false
      }
    } else {
      await fs.rename(tmp, file)
    }
  } finally {
    await fs.rm(tmp, { force: true })
  }
  await syncDir(path.dirname(file))
  return placed
}

async function syncDir(dir: string): Promise<void> {
  try {
    const h = await fs.open(dir, 'r')
    try {
      await h.sync()
    } finally {
      await h.close()
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic.
  }
}

/**
 * Loads the secrets file, creating it (0600) when missing, and applies the
 * env override for cookie keys. Throws SecretsError with a fix in the message.
 */
export async function loadSecrets(dataDir: string, env: Record<string, string | undefined> = {}): Promise<HubSecrets> {
  const file = path.join(dataDir, SECRETS_FILE_NAME)
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 })
  let stored = await readSecretsFile(file)
  if (stored === null) {
    const fresh: SecretsFile = { version: 1, cookieKeys: [newSecret()], csrfKey: newSecret() }
    const placed = await writeSecretsFile(file, fresh, true)
    stored = placed ? fresh : await readSecretsFile(file)
    if (stored === null) throw new SecretsError('SECRETS_FILE_UNREADABLE', `secrets file ${file} vanished while starting — is another process deleting it?`)
  }
  const envKeys = cookieKeysFromEnv(env)
  if (envKeys === null) return { cookieKeys: stored.cookieKeys, csrfKey: stored.csrfKey, cookieKeysFrom: 'file', file }
  // Nodes sharing cookie keys through env must also accept each other's CSRF
  // tokens, so the CSRF key is derived from the signing key in that case.
  const csrfKey = createHmac('sha256', envKeys[0] as string).update('monohub csrf key').digest('base64url')
  return { cookieKeys: envKeys, csrfKey, cookieKeysFrom: 'env', file }
}

/**
 * Puts a new cookie key first (it signs from now on) and keeps at most
 * `keep` keys in total (older ones keep verifying until dropped).
 * Returns the new key list. The running hub picks it up on restart.
 */
export async function rotateCookieKeys(dataDir: string, keep = 3): Promise<string[]> {
  const file = path.join(dataDir, SECRETS_FILE_NAME)
  const stored = await readSecretsFile(file)
  if (stored === null) throw new SecretsError('SECRETS_FILE_MISSING', `no secrets file at ${file} — start the hub once to create it`)
  const cookieKeys = [newSecret(), ...stored.cookieKeys].slice(0, Math.max(1, keep))
  await writeSecretsFile(file, { ...stored, cookieKeys }, false)
  return cookieKeys
}
