import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHub, logIn } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'
import { binPath, freePort } from '../helpers/monohub-proxy.ts'

t.test('the first start prints the login URL and a one-time admin password that works; the next start does not print it again', async (t) => {
  const first = await startHub(t)
  t.match(first.printed, `Open ${first.url}/hub/login and log in as 'admin' with password: ${first.adminPassword}`)
  t.match(first.adminPassword ?? '', /^[A-Za-z0-9]{20}$/)
  t.equal(first.printed.split(first.adminPassword!).length, 2, 'printed exactly once')
  t.equal((await logIn(new Browser(first.url), 'admin', first.adminPassword!)).response.status, 200)
  const secrets = await stat(join(first.dataDir, 'secrets.json'))
  t.equal(secrets.mode & 0o777, 0o600, 'secrets file is 0600')
  const password = first.adminPassword!
  await first.close()

  const again = await startHub(t, { dataDir: first.dataDir })
  t.equal(again.adminPassword, undefined)
  t.notMatch(again.printed, password)
  t.match(again.printed, `Open ${again.url}/hub/login and log in`)
  t.equal((await logIn(new Browser(again.url), 'admin', password)).response.status, 200, 'the password survives a restart')
})

t.test('MONOHUB_ADMIN_PASSWORD sets the first admin password instead, and it is not printed', async (t) => {
  const h = await startHub(t, { env: { MONOHUB_ADMIN_PASSWORD: 'automation-password-1' } })
  t.equal(h.adminPassword, undefined)
  t.notMatch(h.printed, 'automation-password-1')
  t.match(h.printed, /MONOHUB_ADMIN_PASSWORD/)
  t.equal((await logIn(new Browser(h.url), 'admin', 'automation-password-1')).response.status, 200)
})

t.test('a MONOHUB_ADMIN_PASSWORD shorter than the minimum stops the start with a reason', async (t) => {
  await t.rejects(startHub(t, { env: { MONOHUB_ADMIN_PASSWORD: 'short' } }), /MONOHUB_ADMIN_PASSWORD: password is 5 characters long/)
})

t.test('`monohub` with no subcommand runs the hub: data in MONOHUB_DATA_DIR, the password printed once, stops on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-first-run-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const port = await freePort()
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, MONOHUB_DATA_DIR: join(dir, 'data') }
  const child = spawn(process.execPath, [binPath, '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const deadline = Date.now() + 15_000
  while (!/password: \S+/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50))
  const password = /with password: (\S+)/.exec(out)?.[1]
  t.ok(password, `password printed (output: ${out})`)
  t.match(out, `Open http://127.0.0.1:${port}/hub/login`)
  const { response } = await logIn(new Browser(`http://127.0.0.1:${port}`), 'admin', password!)
  t.equal(response.status, 200)
  t.ok((await stat(join(dir, 'data', 'secrets.json'))).isFile(), 'state in MONOHUB_DATA_DIR')
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})
