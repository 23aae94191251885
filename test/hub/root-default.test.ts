/**
 * A hub running as root (`npx monohub` on a fresh VM): with the defaults a
 * first login still gets a working server — the built-in demo, run as the
 * `nobody` account when it can, else as root with a plain warning — while an
 * explicit Jupyter or custom command is refused unless --allow-root.
 *
 * The tests that need root run the real thing when the test runs as root
 * (as CI here does) and skip with the reason otherwise.
 */
import t, { type Test } from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import { defaultHubConfig } from '../../src/config/hub-config.ts'
import { describeServers, openServers, rootDecision, spawnerFromConfig } from '../../src/hub/hub-servers.ts'
import { decideForRoot } from '../../src/spawn/root-default.ts'
import { findDemoAccount, lookUpAccount } from '../../src/spawn/root-account.ts'
import { startRefusal } from '../../src/spawn/root-refusal.ts'
import { demoServerEntry } from '../../src/spawn/spawners/command.ts'
import { openRoutes } from '../../src/proxy/open-routes.ts'
import { startHub } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'
import { logIn, xsrfOf } from '../helpers/hub.ts'
import { pidAlive, serverPid } from './servers-hub.ts'

const asRoot = process.getuid?.() === 0

/** Why this machine cannot run the nobody-account tests, or false. */
function nobodyCannotRunNode(): string | false {
  if (!asRoot) return 'needs root'
  const probe = spawnSync(process.execPath, ['-e', '0'], { uid: 65534, gid: 65534, timeout: 10_000 })
  return probe.status === 0 ? false : `the nobody account cannot run ${process.execPath} (is Node installed under a private folder such as /root?)`
}

async function tempDir(t: Test, prefix = 'monohub-rd-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix))
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }))
  return dir
}

/** A pino logger whose lines are kept for the test to read. */
function capturingLog(): { log: Logger; lines: () => { level: number; msg: string }[] } {
  const out: string[] = []
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { out.push(chunk.toString()); done() } })
  return { log: pino({ level: 'info' }, stream) as Logger, lines: () => out.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) }
}

/** The Uid line of /proc/<pid>/status: real uid first. */
async function uidOf(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/\nUid:\s+(\d+)/.exec(status)?.[1])
}

async function stopAndWait(stop: () => Promise<unknown>, pid: number): Promise<void> {
  await stop()
  for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100))
}

t.test('the root decision: defaults and demo choices run the demo; explicit process, Jupyter and custom commands are refused; allowRoot and non-root keep the command', async (t) => {
  const base = { uid: 0, allowRoot: false, spawnerKind: 'process' as const, spawnerChosen: false, cmd: 'auto' as const }
  t.same(decideForRoot(base), { mode: 'demo' }, 'nothing chosen → demo')
  t.same(decideForRoot({ ...base, spawnerChosen: true }), { mode: 'refuse' }, 'explicit --spawner process with auto (could be Jupyter) → refused')
  t.same(decideForRoot({ ...base, spawnerKind: 'demo', spawnerChosen: true }), { mode: 'demo' }, '--spawner demo → demo')
  t.same(decideForRoot({ ...base, spawnerChosen: true, cmd: 'demo' }), { mode: 'demo' }, '--cmd demo → demo')
  t.same(decideForRoot({ ...base, cmd: ['/usr/bin/jupyterhub-singleuser'] }), { mode: 'refuse' }, 'explicit Jupyter → refused')
  t.same(decideForRoot({ ...base, cmd: ['code-server'] }), { mode: 'refuse' }, 'custom command → refused')
  t.same(decideForRoot({ ...base, allowRoot: true }), { mode: 'root-allowed' })
  t.same(decideForRoot({ ...base, uid: 1000, cmd: ['code-server'] }), { mode: 'unchanged' })

  const config = defaultHubConfig({ dataDir: '/nonexistent' })
  t.same(rootDecision(config, 0), { mode: 'demo' }, 'the default config counts as nothing chosen')
  t.same(rootDecision(Object.assign(defaultHubConfig({ dataDir: '/nonexistent', spawner: 'process' }), { explicitKeys: new Set(['spawner']) }), 0), { mode: 'refuse' },
    'a config that records --spawner process as chosen is refused')
  t.same(rootDecision(defaultHubConfig({ dataDir: '/nonexistent', spawner: 'systemd' }), 0), { mode: 'unchanged' }, 'other spawners decide for themselves')
})

t.test('non-root hubs are unchanged: auto picks jupyterhub-singleuser from PATH, else the demo, with no root notes', async (t) => {
  const bin = await tempDir(t)
  await fs.writeFile(path.join(bin, 'jupyterhub-singleuser'), '#!/bin/sh\n', { mode: 0o755 })
  const config = defaultHubConfig({ dataDir: '/nonexistent' })
  const withJupyter = describeServers(config, { PATH: bin }, 1000)
  t.match(withJupyter, `${path.join(bin, 'jupyterhub-singleuser')} (jupyterhub-singleuser, OAuth with this hub)`)
  t.notMatch(withJupyter, /root/)
  const bare = describeServers(config, { PATH: '/nonexistent' }, 1000)
  t.match(bare, /built-in DEMO server/)
  t.notMatch(bare, /root/)
  t.equal(startRefusal(spawnerFromConfig(config, { uid: 1000 })), undefined)
})

t.test('--allow-root with the default cmd runs Jupyter as root, as before', async (t) => {
  const bin = await tempDir(t)
  await fs.writeFile(path.join(bin, 'jupyterhub-singleuser'), '#!/bin/sh\n', { mode: 0o755 })
  const config = defaultHubConfig({ dataDir: '/nonexistent', allowRoot: true })
  t.same(rootDecision(config, 0), { mode: 'root-allowed' })
  t.match(describeServers(config, { PATH: bin }, 0), `running ${path.join(bin, 'jupyterhub-singleuser')} (jupyterhub-singleuser, OAuth with this hub) — as root (allowRoot)`)
  t.equal(startRefusal(spawnerFromConfig(config, { uid: 0 })), undefined, 'no refusal')
})

t.test('the probe explains an unreachable Node: a folder nobody cannot enter (the npx-under-/root case)', { skip: asRoot ? false : 'needs root' }, async (t) => {
  const dir = await tempDir(t)
  await fs.chmod(dir, 0o755) // only the folder below is private
  const hidden = path.join(dir, 'private')
  await fs.mkdir(hidden, { mode: 0o700 })
  const node = path.join(hidden, 'node')
  await fs.symlink(process.execPath, node)
  const found = await findDemoAccount({ execPath: node, entry: demoServerEntry(), usersDir: path.join(dir, 'data', 'users') })
  t.equal(found.ok, false)
  if (found.ok) return
  t.match(found.reason, `Node (${node}) is not reachable by nobody: ${hidden} is mode 0700`)
  t.match(found.fix, /install Node system-wide/)
})

t.test('a missing account is a reason, not a crash', async (t) => {
  const none = await lookUpAccount('monohub-no-such-account')
  t.match(none, /there is no 'monohub-no-such-account' account/)
})

t.test('as root with the defaults, a first login gets the demo server — as nobody, through the proxy, with a usable work dir', { skip: nobodyCannotRunNode() }, async (t) => {
  const captured = capturingLog()
  const h = await startHub(t, { log: captured.log, deps: { serverPollIntervalMs: 200 } })
  const nobody = await lookUpAccount('nobody')
  if (typeof nobody === 'string') throw new Error(nobody)
  const startup = captured.lines().map((l) => l.msg).find((m) => m.startsWith("users' servers:"))
  t.match(startup, "process spawner running the built-in DEMO server as the unprivileged 'nobody' account")
  t.match(startup, /the hub runs as root/)
  t.match(startup, /--spawner system-user/)
  t.match(startup, /--spawner systemd/)
  t.match(startup, /--allow-root/)

  const browser = new Browser(h.url)
  await logIn(browser, 'admin', h.adminPassword!)
  const spawnPage = await browser.fetch('/hub/spawn/admin')
  t.equal(spawnPage.status, 200)
  const { response } = await browser.submit('/hub/spawn/admin', { _xsrf: xsrfOf(await spawnPage.text()) })
  t.teardown(async () => { await h.hub.servers.stop('admin').catch(() => {}) })
  t.equal(response.status, 200, 'the start goes on to the progress page')
  for (let i = 0; i < 200 && h.hub.servers.status('admin')?.ready !== true; i++) await new Promise((r) => setTimeout(r, 50))
  t.equal(h.hub.servers.status('admin')?.ready, true, 'the server became ready')

  const pid = serverPid(h.hub, 'admin')
  t.equal(await uidOf(pid), nobody.uid, 'the demo runs as nobody')
  const workDir = path.join(h.dataDir, 'users', 'admin')
  const stat = await fs.stat(workDir)
  t.equal(stat.uid, nobody.uid, 'the work dir is owned by nobody')
  t.equal(stat.mode & 0o777, 0o700, 'and private to it')
  t.equal((await fs.stat(h.dataDir)).mode & 0o777, 0o700, 'the data dir stays private (the launch enters the work dir for the account)')
  await fs.writeFile(path.join(workDir, 'notes.txt'), 'hello')
  await fs.chown(path.join(workDir, 'notes.txt'), nobody.uid, nobody.gid)

  const page = await browser.fetch('/user/admin/')
  t.equal(page.status, 200, 'the proxy forwards with the server token')
  t.equal(page.headers.get('x-monohub-demo'), '1')
  const text = await page.text()
  t.match(text, 'This hub runs as root, so monohub runs its built-in demo server')
  t.match(text, '--spawner system-user')
  t.match(text, 'notes.txt', 'the demo lists its work dir')
  const api = await (await browser.fetch('/user/admin/api')).json() as { pid: number; user: string }
  t.same({ pid: api.pid, user: api.user }, { pid, user: 'admin' })
  await stopAndWait(() => h.hub.servers.stop('admin'), pid)
  t.notOk(pidAlive(pid), 'stopped')
})

t.test('when nobody cannot run the demo, it runs as root and the start-up log says why and how to fix it', { skip: asRoot ? false : 'needs root' }, async (t) => {
  const dataDir = await tempDir(t)
  const config = defaultHubConfig({ dataDir })
  const routes = await openRoutes(dataDir)
  t.teardown(() => routes.close())
  const captured = capturingLog()
  const manager = await openServers({
    config, routes: routes.routes, log: captured.log, uid: 0, pollIntervalMs: 0,
    probeDemoAccount: async () => ({ ok: false, reason: 'Node (/root/.npm/node) is not reachable by nobody: /root is mode 0700', fix: 'install Node system-wide (e.g. under /usr/local or /opt) and start monohub with it' }),
  })
  t.teardown(async () => { await manager.stopAll().catch(() => {}); await manager.close() })
  const warning = captured.lines().find((l) => l.level === 40)
  t.match(warning?.msg, "users' demo servers will run AS ROOT too, because Node (/root/.npm/node) is not reachable by nobody")
  t.match(warning?.msg, 'the demo runs no user code')
  t.match(warning?.msg, 'install Node system-wide')
  const line = describeServers(config, {}, 0)
  t.match(line, 'the built-in DEMO server AS ROOT, because Node (/root/.npm/node) is not reachable by nobody')
  t.match(line, /--spawner system-user/)

  await manager.start('carol')
  const state = manager.record('carol')!.state as { pid: number }
  t.equal(await uidOf(state.pid), 0, 'the demo runs as root')
  t.equal((await fs.stat(dataDir)).mode & 0o777, 0o700, 'the data dir stays private')
  await stopAndWait(() => manager.stop('carol'), state.pid)
})

t.test('explicit Jupyter as root without --allow-root: the hub stays up, every start is refused with the fix, and the spawn page says so plainly', { skip: asRoot ? false : 'needs root' }, async (t) => {
  const captured = capturingLog()
  const h = await startHub(t, { log: captured.log, config: { cmd: '/usr/bin/jupyterhub-singleuser' } })
  const startup = captured.lines().map((l) => l.msg).find((m) => m.startsWith("users' servers:"))
  t.match(startup, 'WARNING: the hub runs as root, so the process spawner will refuse to start these servers')

  const browser = new Browser(h.url)
  await logIn(browser, 'admin', h.adminPassword!)
  const shown = await browser.fetch('/hub/spawn/admin')
  t.equal(shown.status, 500, 'a configuration problem of the hub')
  const text = await shown.text()
  t.match(text, 'This hub cannot start servers as it is set up')
  t.match(text, '--spawner system-user')
  t.notMatch(text, /<button type="submit">(Start|Retry)<\/button>/, 'no Start button that cannot work')

  const home = await (await browser.fetch('/hub/home')).text()
  t.match(home, 'this hub cannot start servers — why', 'the home page has no Start button that cannot work, but a link to why')
  const posted = await browser.fetch('/hub/spawn/admin', { method: 'POST', body: new URLSearchParams({ _xsrf: xsrfOf(home) }), redirect: 'manual' })
  t.equal(posted.status, 500)
  t.match(await posted.text(), 'the hub runs as root, and the process spawner would run every user')
  t.equal(h.hub.servers.status('admin'), undefined, 'nothing started')

  await t.rejects(h.hub.servers.start('admin'), { code: 'SPAWNER_CONFIG', message: /--spawner system-user/ }, 'the lifecycle refuses too (REST API: 500 with the message)')
})

t.test('the config loader records what the admin chose: an explicit --spawner process is refused as root, the default is not', async (t) => {
  const { loadHubConfig } = await import('../../src/config/hub-config.ts')
  const chosen = await loadHubConfig({ flags: { spawner: 'process' }, env: {}, cwd: process.cwd() })
  t.ok(chosen.explicitKeys?.has('spawner'))
  t.same(rootDecision(chosen, 0), { mode: 'refuse' })
  const fromEnv = await loadHubConfig({ flags: {}, env: { MONOHUB_SPAWNER: 'process' }, cwd: process.cwd() })
  t.same(rootDecision(fromEnv, 0), { mode: 'refuse' }, 'env counts as a choice too')
  const defaulted = await loadHubConfig({ flags: {}, env: {}, cwd: process.cwd() })
  t.notOk(defaulted.explicitKeys?.has('spawner'))
  t.same(rootDecision(defaulted, 0), { mode: 'demo' })
})
