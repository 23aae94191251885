/**
 * What in-process authorization costs: the hub (`monohub`, started here
 * in-process on a temporary data dir) proxies small responses to the bench
 * backend through
 *   - `/services/open/…` — a route without `user`: no authorization, and
 *   - `/user/admin/…`    — a user route: the session cookie of a user who
 *     logged in through the login form is verified on every request,
 *   - the same user route with an API token (`Authorization: token …`),
 *     for information,
 * in the same run, interleaved rounds (rotating order), same connections. Target: with cookie
 * verification ≥ 0.9× the req/s without auth.
 */
import { pino } from 'pino'
import type { BenchContext } from './bench-context.ts'
import { count, divide, ms, ratio } from './format.ts'
import { runHttpLoad, type HttpLoadResult } from './http-load.ts'
import { target, type CaseReport } from './report.ts'
import { medianOf } from './rounds.ts'
import { benchTempDir } from './temp-dirs.ts'
import { defaultHubConfig } from '../../src/config/hub-config.ts'
import { startHubProcess, type RunningHub } from '../../src/server/hub-process.ts'
import { createToken } from '../../src/auth/tokens.ts'

const ADMIN_PASSWORD = 'bench-admin-password'

interface Variant {
  label: string
  path: string
  headers: Record<string, string>
}

async function startBenchHub(): Promise<RunningHub> {
  const dataDir = benchTempDir('hub')
  const config = defaultHubConfig({ ip: '127.0.0.1', dataDir, logLevel: 'warn' })
  config.port = 0 // any free port (the config itself only takes 1–65535)
  return startHubProcess(config, {
    log: pino({ level: 'warn' }),
    env: { MONOHUB_ADMIN_PASSWORD: ADMIN_PASSWORD },
    out: () => {},
    stopGraceMs: 1_000,
  })
}

/** Logs in through the hub's form, as a browser does; returns the session cookie (`name=value`). */
async function logInAsAdmin(url: string): Promise<string> {
  const page = await fetch(`${url}/hub/login`)
  const preLogin = page.headers.getSetCookie().map((c) => c.split(';', 1)[0]!).join('; ')
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(await page.text())?.[1]
  if (xsrf === undefined) throw new Error('the login page has no _xsrf field')
  const response = await fetch(`${url}/hub/login`, {
    method: 'POST',
    headers: { cookie: preLogin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: 'admin', password: ADMIN_PASSWORD, _xsrf: xsrf }).toString(),
    redirect: 'manual',
  })
  const session = response.headers.getSetCookie().find((c) => c.startsWith('monohub-session='))
  if (response.status !== 302 || session === undefined) throw new Error(`logging in through the form failed (HTTP ${response.status})`)
  return session.split(';', 1)[0]!
}

/** Each variant answers 200 with its headers, and the user route refuses a request without them. */
async function checkVariants(url: string, variants: readonly Variant[]): Promise<void> {
  for (const v of variants) {
    const res = await fetch(url + v.path, { headers: v.headers })
    await res.body?.cancel()
    if (res.status !== 200) throw new Error(`${v.label}: GET ${v.path} answered ${res.status}, expected 200`)
  }
  const anonymous = await fetch(`${url}/user/admin/small`)
  await anonymous.body?.cancel()
  if (anonymous.status !== 401) throw new Error(`GET /user/admin/small without a session answered ${anonymous.status}, expected 401 — the route is not authorized`)
}

/**
 * Interleaved rounds whose order rotates (A B C, B C A, C A B …): measured
 * here, a variant's place in the round moved its req/s by more than the
 * 10 % this case looks for, so each variant takes each place in turn.
 */
async function rotatedRounds<V, R>(variants: readonly V[], rounds: number, measure: (v: V, round: number) => Promise<R>): Promise<Map<V, R[]>> {
  const samples = new Map<V, R[]>(variants.map((v) => [v, []]))
  for (let round = 0; round < rounds; round++) {
    const order = [...variants.slice(round % variants.length), ...variants.slice(0, round % variants.length)]
    for (const v of order) samples.get(v)!.push(await measure(v, round))
  }
  return samples
}

export async function runAuthCase(ctx: BenchContext): Promise<CaseReport> {
  const { load, rounds, seconds } = ctx.options
  const connections = ctx.options.smallConnections
  ctx.log(`authorization cost: hub in-process, small responses, ${connections} connections`)
  const running = await startBenchHub()
  try {
    const { hub, url } = running
    await hub.routes.set('/services/open', { target: ctx.backend.url })
    await hub.routes.set('/user/admin', { target: ctx.backend.url, user: 'admin', server_name: '' })
    const cookie = await logInAsAdmin(url)
    const token = createToken({ owner: 'admin', now: Date.now(), scopes: ['access:servers!user=admin'], note: 'bench' })
    await hub.store.commit({ op: 'token.put', token: token.record })
    const variants: Variant[] = [
      { label: 'no auth (route without user)', path: '/services/open/small', headers: {} },
      { label: 'session cookie verified', path: '/user/admin/small', headers: { cookie } },
      { label: 'API token verified', path: '/user/admin/small', headers: { authorization: `token ${token.token}` } },
    ]
    await checkVariants(url, variants)
    for (const v of variants) await runHttpLoad(load, { url: url + v.path, connections, seconds: 1, headers: v.headers })
    const samples = await rotatedRounds(variants, rounds, async (v, round) => {
      const result = await runHttpLoad(load, { url: url + v.path, connections, seconds, headers: v.headers })
      ctx.log(`  round ${round + 1}/${rounds} ${v.label}: ${count(result.rps)} req/s, p99 ${ms(result.p99Ms)}${result.errors > 0 ? `, ${result.errors} errors` : ''}`)
      return result
    })
    const results = new Map<Variant, HttpLoadResult>([...samples].map(([v, rs]) => [v, medianOf(rs)]))
    const [open, withCookie, withToken] = variants.map((v) => results.get(v)!) as [HttpLoadResult, HttpLoadResult, HttpLoadResult]
    const cookieRatio = divide(withCookie.rps, open.rps)
    const errors = [...results.values()].reduce((sum, r) => sum + r.errors, 0)
    return {
      id: 'auth',
      title: `Authorization cost through the hub (in-process), small responses, ${connections} connections, ${rounds}×${seconds} s per variant`,
      header: ['variant', 'req/s', 'p50', 'p99', 'errors'],
      rows: variants.map((v) => {
        const r = results.get(v)!
        return [v.label, count(r.rps), ms(r.p50Ms), ms(r.p99Ms), count(r.errors)]
      }),
      lines: [
        `cookie/no auth req/s: ${ratio(cookieRatio)}`,
        `token/no auth req/s: ${ratio(divide(withToken.rps, open.rps))}`,
        `session verification cache: ${hub.sessions.cachedCount} entr${hub.sessions.cachedCount === 1 ? 'y' : 'ies'}`,
      ],
      targets: [target(
        'proxied req/s with session-cookie verification ≥ 0.9× the same without auth',
        cookieRatio === undefined || errors > 0 ? undefined : cookieRatio >= 0.9,
        errors > 0 ? `${errors} errors — not a valid measurement` : `${ratio(cookieRatio)}`,
      )],
      data: { open, cookie: withCookie, token: withToken },
    }
  } finally {
    await running.close() // its data dir goes with the run's other temp dirs
  }
}
