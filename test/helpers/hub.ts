/**
 * Starts a whole hub IN-PROCESS for a test: one server on 127.0.0.1 and a
 * free port, a temporary data dir, cheap password hashing, a silent logger.
 * The first admin's generated password is returned. Closed (and the data dir
 * removed) in t.teardown; `close()` may also be called earlier (restart tests
 * then start another hub on the same `dataDir`).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import type { HubContext } from '../../src/hub/context.ts'
import { defaultHubConfig } from '../../src/config/hub-config.ts'
import { startHubProcess, type HubProcessDeps } from '../../src/server/hub-process.ts'
import type { Teardown } from './monohub-proxy.ts'
import type { Browser } from './cookie-jar.ts'

/** Fast scrypt for tests (the hash format and checks are the same). */
export const TEST_SCRYPT = { ln: 4, r: 8, p: 1 }

export interface StartHubOptions {
  /** Hub settings as config keys (e.g. { allowSignup: true, authenticator: {...} }); validated like a config file. */
  config?: Record<string, unknown>
  /** Shorthand for the HubSettings-like keys: allowSignup, minPasswordLength, publicUrl. */
  settings?: { allowSignup?: boolean; minPasswordLength?: number; publicUrl?: string }
  /** Env the hub sees (MONOHUB_ADMIN_PASSWORD, MONOHUB_COOKIE_SECRETS …). Default: none. */
  env?: Record<string, string | undefined>
  /** Reuse a data dir (restart); default a fresh temp dir. */
  dataDir?: string
  /** Logger; default silent (set MONOHUB_TEST_LOG=debug to see it). */
  log?: Logger
  deps?: Partial<HubProcessDeps>
}

export interface TestHub {
  /** "http://127.0.0.1:<port>" */
  url: string
  hub: HubContext
  dataDir: string
  /** The generated first-admin password ('admin'), undefined when it came from env or the data dir had users. */
  adminPassword: string | undefined
  /** What the hub printed at start (the start notice). */
  printed: string
  close(): Promise<void>
}

export async function startHub(t: Teardown, options: StartHubOptions = {}): Promise<TestHub> {
  const ownDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'monohub-hub-')))
  const config = defaultHubConfig({ ip: '127.0.0.1', dataDir, ...options.settings, ...options.config })
  // Port 0 is not a valid config port (1–65535): the test helper asks for any free port.
  config.port = 0
  let printed = ''
  const log = options.log ?? pino({ level: process.env.MONOHUB_TEST_LOG ?? 'silent' })
  const running = await startHubProcess(config, {
    log,
    env: options.env ?? {},
    out: (text) => {
      printed += text
    },
    scrypt: TEST_SCRYPT,
    stopGraceMs: 500,
    ...options.deps,
  })
  const url = running.url.replace('localhost', '127.0.0.1')
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await running.close()
  }
  t.teardown(async () => {
    await close()
    if (ownDir) await rm(dataDir, { recursive: true, force: true })
  })
  return { url, hub: running.hub, dataDir, adminPassword: running.adminPassword, printed, close }
}



export function xsrfOf(page: string): string {
  const m = /name="_xsrf" value="([^"]+)"/.exec(page)
  if (m === null) throw new Error('no _xsrf field on the page')
  return m[1]!
}

/** GETs `path` and returns its _xsrf. */
export async function formXsrf(browser: Browser, path: string): Promise<string> {
  const response = await browser.fetch(path)
  return xsrfOf(await response.text())
}

/** Logs in through the login form; returns the final response after redirects. */
export async function logIn(browser: Browser, username: string, password: string, next?: string): Promise<{ response: Response; visited: string[] }> {
  const xsrf = await formXsrf(browser, '/hub/login')
  const action = next === undefined ? '/hub/login' : `/hub/login?next=${encodeURIComponent(next)}`
  return browser.submit(action, { username, password, _xsrf: xsrf })
}
