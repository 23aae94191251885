/**
 * Set-up for the hub's server tests: a whole hub (test/helpers/hub.ts) whose
 * users' servers are the tiny fixture server (answers any path with JSON, no
 * token check) or the demo server, polled often so deaths show quickly — and
 * a teardown that kills every server process group the hub knew, whatever
 * order the hub itself was closed in.
 */
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import type { Test } from 'tap'
import { startHub, logIn, type StartHubOptions, type TestHub } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'
import type { HubContext } from '../../src/hub/context.ts'

export const TINY_SERVER = fileURLToPath(new URL('../spawn/fixtures/tiny-server.mjs', import.meta.url))

/** argv of the tiny server, with extra flags (--exit-now, --no-listen). */
export function tinyCmd(...extra: string[]): string[] {
  return [process.execPath, TINY_SERVER, '--port={port}', ...extra]
}

const groups = new Set<number>()
process.on('exit', () => {
  for (const pgid of groups) {
    try { process.kill(-pgid, 'SIGKILL') } catch {}
  }
})

/** The process group of a server the hub runs (remembered for the clean-up). */
export function serverPid(hub: HubContext, user: string, server = ''): number {
  const state = hub.servers.record(user, server)?.state as { pid?: number; pgid?: number } | undefined
  if (state?.pid === undefined) throw new Error(`no process for ${user}/${server}`)
  groups.add(state.pgid ?? state.pid)
  return state.pid
}

export function pidAlive(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

function killAll(hub: HubContext): void {
  for (const s of hub.servers.list()) {
    const state = hub.servers.record(s.user, s.name)?.state as { pgid?: number } | undefined
    if (state?.pgid === undefined) continue
    groups.add(state.pgid)
    try { process.kill(-state.pgid, 'SIGKILL') } catch {}
  }
}

export async function serversHub(t: Test, options: StartHubOptions = {}): Promise<TestHub> {
  const h = await startHub(t, {
    ...options,
    config: { cmd: tinyCmd(), allowRoot: true, startTimeout: 20, ...options.config },
    deps: { serverPollIntervalMs: 200, ...options.deps },
  })
  t.teardown(() => killAll(h.hub))
  return h
}

/** A browser logged in as `name` (created with a password first, unless it is the admin). */
export async function browserFor(t: Test, h: TestHub, name: string, admin = false): Promise<Browser> {
  const browser = new Browser(h.url)
  if (name === 'admin') {
    await logIn(browser, 'admin', h.adminPassword!)
    return browser
  }
  const password = `${name}-password-1`
  if (!Object.hasOwn(h.hub.store.state.users, name)) {
    const { LocalAuthenticator } = await import('../../src/auth/authenticators/local.ts')
    if (!(h.hub.authenticator instanceof LocalAuthenticator)) throw new Error('local accounts only')
    await h.hub.authenticator.createUser(name, { password, admin })
  }
  const { response } = await logIn(browser, name, password)
  t.equal(response.status, 200, `${name} is logged in`)
  return browser
}

/** Polls `check` every 50 ms until it is true or `ms` pass. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return check()
}

/** The _xsrf of a page's first form. */
export function xsrfIn(page: string): string {
  const m = /name="_xsrf" value="([^"]+)"/.exec(page)
  if (m === null) throw new Error('no _xsrf on the page')
  return m[1]!
}
