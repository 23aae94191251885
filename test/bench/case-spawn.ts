/**
 * What the hub adds to starting a user's server, with the built-in demo
 * server as the user server. The hub runs as users run it — `monohub` from
 * the build, its own process, on a temporary data dir, as root allowed to run
 * servers as itself — and this process is only the load generator:
 *
 *   1. the demo server's own start, measured alone: launch the same command
 *      line the spawner uses, poll its URL every 2 ms until it answers;
 *   2. one person at a time: log in through the form, press Start on the
 *      spawn page, follow the progress event stream until `ready` — minus
 *      (1) is the hub's overhead (target ≤ 50 ms);
 *   3. N people at once (default 200): each logs in and starts a server the
 *      same way — errors and p99 of login-to-ready (target 0 errors, p99 ≤ 5 s).
 *      The CPU time of the hub, of its servers and of the load generator is
 *      read from /proc: their sum over the number of cores is the least time
 *      any schedule needs on this machine.
 *
 * Password hashing is the default scrypt (what a real login pays). Every
 * server is stopped at the end. Run alone (after `npm run build`):
 * `node test/bench/case-spawn.ts [--users N]`.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import type { BenchContext } from './bench-context.ts'
import { startChild, stopChild, type Child } from './children.ts'
import { monohubCommand } from './contestants.ts'
import { count, ms } from './format.ts'
import { freePort } from './ports.ts'
import { cpuSecondsOf } from './proc-stats.ts'
import { target, renderCase, renderTargets, type CaseReport } from './report.ts'
import { percentile } from './rounds.ts'
import { benchTempDir, removeTempDirs } from './temp-dirs.ts'
import { waitUntil } from './wait-until.ts'
import { openHubAdmin } from '../../src/hub/api/open-hub-admin.ts'
import { hashPassword, verifyPassword } from '../../src/auth/passwords.ts'

const PASSWORD = 'bench-user-password'
const SOLO_RUNS = 10
/** The entry the hub's spawner runs for `--cmd demo` (the build's, as users get it). */
const DEMO_ENTRY = fileURLToPath(new URL('../../dist/spawn/spawners/demo-server/main.js', import.meta.url))

const storedHash = hashPassword(PASSWORD)

/** One check of the default scrypt hash, alone: the part of a login that is deliberately slow. */
async function passwordCheckMs(): Promise<number> {
  const stored = await storedHash
  const began = performance.now()
  await verifyPassword(PASSWORD, stored)
  return performance.now() - began
}

/** (1) The demo server alone: spawn → first answer, polled every 2 ms. */
async function demoOwnStartMs(): Promise<number> {
  const port = await freePort()
  const token = randomBytes(16).toString('hex')
  const began = performance.now()
  const child = spawn(process.execPath, [DEMO_ENTRY, '--ip=127.0.0.1', `--port=${port}`, '--base-url=/user/bench/'], {
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

interface BenchHub {
  url: string
  child: Child
  dataDir: string
}

/** Creates `names` (4 at a time: scrypt runs on libuv's 4 threads) in a fresh data dir, then starts `monohub` on it. */
async function startBenchHub(names: readonly string[]): Promise<BenchHub> {
  if (!existsSync(DEMO_ENTRY)) throw new Error(`${DEMO_ENTRY} is missing — run \`npm run build\` first (npm run bench does)`)
  const dataDir = benchTempDir('spawn-hub')
  const admin = await openHubAdmin(dataDir)
  try {
    for (let i = 0; i < names.length; i += 4) {
      await Promise.all(names.slice(i, i + 4).map((name) => admin.addUser(name, { password: PASSWORD })))
    }
  } finally {
    await admin.close()
  }
  const port = await freePort()
  const { command, args } = monohubCommand([
    '--ip', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn',
    '--cmd', 'demo', '--allow-root', '--concurrent-spawn-limit', '0', '--start-timeout', '60',
  ])
  const child = startChild('monohub hub', command, args, { env: { MONOHUB_ADMIN_PASSWORD: 'bench-admin-password' } })
  const url = `http://127.0.0.1:${port}`
  await waitUntil('the hub to answer /hub/api/', async () => {
    if (child.process.exitCode !== null) throw new Error(`the hub exited: ${child.output()}`)
    return (await fetch(`${url}/hub/api/`)).ok
  }, 30_000)
  return { url, child, dataDir }
}

/** Stops every user's server through the API and waits until none runs (they outlive the hub otherwise). */
async function stopAllServers(hub: BenchHub): Promise<void> {
  const { token } = JSON.parse(await readFile(`${hub.dataDir}/hub-runtime.json`, 'utf8')) as { token: string }
  const headers = { authorization: `token ${token}` }
  const active = async (): Promise<string[]> => {
    const users = (await (await fetch(`${hub.url}/hub/api/users?state=active&limit=1000`, { headers })).json()) as { name: string }[]
    return users.map((u) => u.name)
  }
  const running = await active()
  for (let i = 0; i < running.length; i += 20) {
    await Promise.all(running.slice(i, i + 20).map(async (name) => {
      const res = await fetch(`${hub.url}/hub/api/users/${name}/server`, { method: 'DELETE', headers })
      await res.body?.cancel()
    }))
  }
  await waitUntil('every server to stop', async () => (await active()).length === 0, 60_000, 200)
}

/** (2)/(3) One person: login form → Start on the spawn page → progress stream until ready. Returns ms (total, and of the login alone). */
async function loginToReady(url: string, name: string): Promise<{ total: number; login: number }> {
  const began = performance.now()
  let step = 'GET /hub/login'
  const fetch = (input: string, init?: RequestInit): Promise<Response> => {
    step = `${init?.method ?? 'GET'} ${input.slice(url.length)}`
    return globalThis.fetch(input, init).catch((error: unknown) => {
      throw new Error(`${name}: ${step} failed after ${ms(performance.now() - began)}`, { cause: error })
    })
  }
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

export async function runSpawnCase(ctx: Pick<BenchContext, 'log'>, users = 200): Promise<CaseReport> {
  const names = Array.from({ length: Math.max(users, SOLO_RUNS) }, (_, i) => `bench${i}`)
  ctx.log(`spawn: creating ${names.length} users, starting the hub`)
  const hub = await startBenchHub(names)
  try {
    // Rounds of (demo alone, password check alone, one login → ready), so
    // each overhead is taken against measurements of the same moment: this
    // machine's speed drifts by more than the numbers we are after.
    ctx.log(`spawn: ${SOLO_RUNS} rounds of demo alone, password check alone, login + start`)
    const own: number[] = []
    const hash: number[] = []
    const solo: number[] = []
    const soloLogin: number[] = []
    const overheads: number[] = []
    const overheadsWithoutHash: number[] = []
    for (const name of names.slice(0, SOLO_RUNS)) {
      own.push(await demoOwnStartMs())
      hash.push(await passwordCheckMs())
      const r = await loginToReady(hub.url, name)
      solo.push(r.total)
      soloLogin.push(r.login)
      overheads.push(r.total - own.at(-1)!)
      overheadsWithoutHash.push(r.total - own.at(-1)! - hash.at(-1)!)
    }
    await stopAllServers(hub)
    const ownMedian = percentile(own, 50)
    const soloMedian = percentile(solo, 50)
    const overhead = percentile(overheads, 50)

    ctx.log(`spawn: ${users} logins + starts at once`)
    const crowd = names.slice(0, users)
    const hubCpuBefore = await cpuSecondsOf(hub.child.pid)
    const loadCpuBefore = process.cpuUsage()
    const began = performance.now()
    const results = await Promise.allSettled(crowd.map((name) => loginToReady(hub.url, name)))
    const wall = performance.now() - began
    const loadCpu = process.cpuUsage(loadCpuBefore)
    const times = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.total] : []))
    const logins = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.login] : []))
    const errors = results.filter((r) => r.status === 'rejected')
    for (const e of errors.slice(0, 3)) {
      const reason = (e as PromiseRejectedResult).reason as Error & { cause?: unknown }
      ctx.log(`spawn: error: ${reason.message}${reason.cause === undefined ? '' : ` (cause: ${String((reason.cause as Error).message ?? reason.cause)})`}`)
    }
    const p50 = percentile(times, 50)
    const p99 = percentile(times, 99)
    ctx.log('spawn: stopping every server')
    // The servers' CPU counts in the hub's `children` once it has reaped them, after they stop.
    const hubCpuMid = await cpuSecondsOf(hub.child.pid)
    await stopAllServers(hub)
    const hubCpuAfter = await cpuSecondsOf(hub.child.pid)
    const cores = availableParallelism()
    const cpu = hubCpuBefore === undefined || hubCpuMid === undefined || hubCpuAfter === undefined ? undefined : {
      hub: hubCpuMid.self - hubCpuBefore.self,
      servers: hubCpuAfter.children - hubCpuBefore.children,
      loadGenerator: (loadCpu.user + loadCpu.system) / 1e6,
    }
    const floorMs = cpu === undefined ? undefined : ((cpu.hub + cpu.servers + cpu.loadGenerator) / cores) * 1000

    return {
      id: 'spawn',
      title: `Starting users' servers (built-in demo server): login → Start → ready`,
      header: ['measure', 'median', 'p99', 'errors'],
      rows: [
        ['demo server alone: launch → answers', ms(ownMedian), ms(percentile(own, 99)), '0'],
        [`one at a time: login → ready (${SOLO_RUNS} runs)`, ms(soloMedian), ms(percentile(solo, 99)), '0'],
        [`${users} at once: login → ready`, ms(p50), ms(p99), count(errors.length)],
      ],
      lines: [
        `hub overhead (one at a time, median of login → ready − demo alone, paired by round): ${ms(overhead)}, of which the login (form, password check, cookie): median ${ms(percentile(soloLogin, 50))}; ` +
          `the default scrypt password check alone takes ${ms(percentile(hash, 50))}, so the hub's overhead without it is ${ms(percentile(overheadsWithoutHash, 50))}`,
        `${users} at once: all ready after ${ms(wall)}; the logins alone: p50 ${ms(percentile(logins, 50))}, p99 ${ms(percentile(logins, 99))}`,
        cpu === undefined || floorMs === undefined
          ? 'CPU time: not readable here (no /proc)'
          : `CPU time of the ${users} at once: hub ${cpu.hub.toFixed(1)} s (${ms((cpu.hub / users) * 1000)} a person, mostly scrypt), ` +
            `the ${users} servers ${cpu.servers.toFixed(1)} s (start to stop), load generator ${cpu.loadGenerator.toFixed(1)} s — ` +
            `on ${cores} cores no schedule finishes all of it in under ${ms(floorMs)}`,
      ],
      targets: [
        target('hub overhead from login to ready, excluding the server\'s own start ≤ 50 ms', overhead <= 50, `${ms(overhead)} (medians: ${ms(soloMedian)} − ${ms(ownMedian)})`),
        target(`${users} simultaneous logins + starts: 0 errors and p99 ≤ 5 s`, errors.length === 0 && p99 <= 5000, `${errors.length} errors, p99 ${ms(p99)}`),
      ],
      data: { ownMs: own, soloMs: solo, overheadMs: overhead, passwordCheckMs: hash, overheadWithoutPasswordCheckMs: percentile(overheadsWithoutHash, 50), crowd: { users, p50, p99, errors: errors.length, wallMs: wall, cpuSeconds: cpu, cpuFloorMs: floorMs } },
    }
  } finally {
    await stopAllServers(hub).catch((error: unknown) => ctx.log(`spawn: could not stop every server: ${(error as Error).message}`))
    await stopChild(hub.child)
  }
}

if (import.meta.main) {
  const at = process.argv.indexOf('--users')
  const users = at > 0 ? Number(process.argv[at + 1]) : 200
  const log = (m: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`)
  runSpawnCase({ log }, users)
    .then((report) => process.stdout.write(renderCase(report) + '\n\n' + renderTargets(report.targets) + '\n'))
    .catch((error: unknown) => { process.stderr.write(`${(error as Error).stack}\n`); process.exitCode = 1 })
    .finally(() => removeTempDirs())
}
