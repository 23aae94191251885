/**
 * What the hub adds to starting a user's server, with the built-in demo
 * server as the user server (a hub started here in-process, on a temporary
 * data dir, as root allowed to run servers as itself):
 *
 *   1. the demo server's own start, measured alone: launch the same command
 *      line the spawner uses, poll its URL every 2 ms until it answers;
 *   2. one person at a time: log in through the form, press Start on the
 *      spawn page, follow the progress event stream until `ready` — minus
 *      (1) is the hub's overhead (target ≤ 50 ms);
 *   3. N people at once (default 200): each logs in and starts a server the
 *      same way — errors and p99 of login-to-ready (target 0 errors, p99 ≤ 5 s).
 *
 * Password hashing is the default scrypt (what a real login pays). Every
 * server is stopped at the end. Run alone: `node test/bench/case-spawn.ts [--users N]`.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { pino } from 'pino'
import type { BenchContext } from './bench-context.ts'
import { count, ms } from './format.ts'
import { target, renderCase, renderTargets, type CaseReport } from './report.ts'
import { benchTempDir, removeTempDirs } from './temp-dirs.ts'
import { defaultHubConfig } from '../../src/config/hub-config.ts'
import { startHubProcess, type RunningHub } from '../../src/server/hub-process.ts'
import { demoServerEntry } from '../../src/spawn/spawners/command.ts'
import type { LocalAuthenticator } from '../../src/auth/authenticators/local.ts'

const PASSWORD = 'bench-user-password'
const SOLO_RUNS = 10

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** (1) The demo server alone: spawn → first answer, polled every 2 ms. */
async function demoOwnStartMs(): Promise<number> {
  const port = await freePort()
  const token = randomBytes(16).toString('hex')
  const began = performance.now()
  const child = spawn(process.execPath, [demoServerEntry(), '--ip=127.0.0.1', `--port=${port}`, '--base-url=/user/bench/'], {
    env: { PATH: process.env.PATH ?? '', MONOHUB_SERVER_TOKEN: token, JUPYTERHUB_USER: 'bench' },
    stdio: 'ignore',
    cwd: benchTempDir('demo'),
  })
  try {
    for (;;) {
      const answered = await fetch(`http://127.0.0.1:${port}/user/bench/`, { headers: { authorization: `token ${token}` } }).then((r) => r.status < 500, () => false)
      if (answered) return performance.now() - began
      if (performance.now() - began > 20_000) throw new Error('the demo server did not answer within 20 s')
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  } finally {
    child.kill('SIGKILL')
  }
}

async function startBenchHub(): Promise<RunningHub> {
  const config = defaultHubConfig({ ip: '127.0.0.1', dataDir: benchTempDir('spawn-hub'), logLevel: 'warn', cmd: 'demo', allowRoot: true, concurrentSpawnLimit: 0, startTimeout: 60 })
  config.port = 0
  return startHubProcess(config, { log: pino({ level: 'warn' }), env: { MONOHUB_ADMIN_PASSWORD: 'bench-admin-password' }, out: () => {}, stopGraceMs: 1_000 })
}

/** (2)/(3) One person: login form → Start on the spawn page → progress stream until ready. Returns ms (total, and of the login alone). */
async function loginToReady(url: string, name: string): Promise<{ total: number; login: number }> {
  const began = performance.now()
  const loginPage = await fetch(`${url}/hub/login`)
  const preLogin = loginPage.headers.getSetCookie().map((c) => c.split(';', 1)[0]!).join('; ')
  const loginXsrf = /name="_xsrf" value="([^"]+)"/.exec(await loginPage.text())?.[1] ?? ''
  const login = await fetch(`${url}/hub/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: preLogin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: name, password: PASSWORD, _xsrf: loginXsrf }).toString(),
  })
  const session = login.headers.getSetCookie().find((c) => c.startsWith('monohub-session='))?.split(';', 1)[0]
  if (session === undefined) throw new Error(`login of ${name} failed (HTTP ${login.status})`)
  const loggedIn = performance.now() - began
  const spawnPage = await (await fetch(`${url}/hub/spawn/${name}`, { headers: { cookie: session } })).text()
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(spawnPage)?.[1] ?? ''
  const started = await fetch(`${url}/hub/spawn/${name}`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _xsrf: xsrf }).toString(),
  })
  await started.body?.cancel()
  if (started.status !== 303) throw new Error(`Start for ${name} answered HTTP ${started.status}`)
  const stream = await fetch(`${url}/hub/api/users/${name}/server/progress`, { headers: { cookie: session } })
  const text = await stream.text()
  if (!text.includes('"ready":true')) throw new Error(`${name}'s server did not become ready: ${text.slice(-300)}`)
  return { total: performance.now() - began, login: loggedIn }
}

export async function runSpawnCase(ctx: Pick<BenchContext, 'log'> & { options: { quick?: boolean } }, users = 200): Promise<CaseReport> {
  const hub = await startBenchHub()
  const auth = hub.hub.authenticator as LocalAuthenticator
  try {
    ctx.log(`spawn: the demo server's own start, ${SOLO_RUNS} times`)
    const own: number[] = []
    for (let i = 0; i < SOLO_RUNS; i++) own.push(await demoOwnStartMs())
    const names = Array.from({ length: Math.max(users, SOLO_RUNS) }, (_, i) => `bench${i}`)
    ctx.log(`spawn: creating ${names.length} users`)
    for (const name of names) await auth.createUser(name, { password: PASSWORD })

    ctx.log(`spawn: ${SOLO_RUNS} logins + starts one at a time`)
    const solo: number[] = []
    const soloLogin: number[] = []
    for (const name of names.slice(0, SOLO_RUNS)) {
      const r = await loginToReady(hub.url, name)
      solo.push(r.total)
      soloLogin.push(r.login)
    }
    await hub.hub.servers.stopAll()
    const ownMedian = percentile(own, 50)
    const soloMedian = percentile(solo, 50)
    const overhead = soloMedian - ownMedian

    ctx.log(`spawn: ${users} logins + starts at once`)
    const crowd = names.slice(0, users)
    const began = performance.now()
    const results = await Promise.allSettled(crowd.map((name) => loginToReady(hub.url, name)))
    const wall = performance.now() - began
    const times = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.total] : []))
    const errors = results.filter((r) => r.status === 'rejected')
    for (const e of errors.slice(0, 3)) { const reason = (e as PromiseRejectedResult).reason as Error & { cause?: unknown }; ctx.log(`spawn: error: ${reason}${reason.cause === undefined ? "" : ` (cause: ${String((reason.cause as Error).message ?? reason.cause)})`}`) }
    const p50 = percentile(times, 50)
    const p99 = percentile(times, 99)
    ctx.log('spawn: stopping every server')
    await hub.hub.servers.stopAll()

    return {
      id: 'spawn',
      title: `Starting users' servers (built-in demo server): login → Start → ready`,
      header: ['measure', 'median', 'p99', 'errors'],
      rows: [
        ['demo server alone: launch → answers', ms(ownMedian), ms(percentile(own, 99)), '0'],
        [`one at a time: login → ready (${SOLO_RUNS} runs)`, ms(soloMedian), ms(percentile(solo, 99)), '0'],
        [`${users} at once: login → ready`, ms(p50), ms(p99), count(errors.length)],
      ],
      lines: [`hub overhead (one at a time, median − demo alone): ${ms(overhead)}, of which the login (default scrypt password check, form, cookie): median ${ms(percentile(soloLogin, 50))}`, `${users} at once: all ready after ${ms(wall)}`],
      targets: [
        target('hub overhead from login to ready, excluding the server\'s own start ≤ 50 ms', overhead <= 50, `${ms(overhead)} (${ms(soloMedian)} − ${ms(ownMedian)})`),
        target(`${users} simultaneous logins + starts: 0 errors and p99 ≤ 5 s`, errors.length === 0 && p99 <= 5000, `${errors.length} errors, p99 ${ms(p99)}`),
      ],
      data: { ownMs: own, soloMs: solo, overheadMs: overhead, crowd: { users, p50, p99, errors: errors.length, wallMs: wall } },
    }
  } finally {
    await hub.hub.servers.stopAll().catch(() => {})
    await hub.close()
  }
}

if (import.meta.main) {
  const at = process.argv.indexOf('--users')
  const users = at > 0 ? Number(process.argv[at + 1]) : 200
  const log = (m: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`)
  runSpawnCase({ log, options: {} }, users)
    .then((report) => process.stdout.write(renderCase(report) + '\n\n' + renderTargets(report.targets) + '\n'))
    .catch((error: unknown) => { process.stderr.write(`${(error as Error).stack}\n`); process.exitCode = 1 })
    .finally(() => removeTempDirs())
}
