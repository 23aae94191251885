/**
 * Cost of Sessions.verifySession on the proxy's hot path, cached vs not.
 * Run: node test/auth/session-bench.ts
 */
import { Sessions, SESSION_COOKIE_NAME } from '../../src/auth/sessions.ts'
import { getCookie } from '../../src/auth/cookie-header.ts'

const keys = ['new-key-'.padEnd(44, 'n'), 'old-key-'.padEnd(44, 'o')]
const now = Date.now()
const generationOf = (name: string) => (name === 'alice' ? 0 : undefined)

function measure(label: string, sessions: Sessions, value: string, n: number): void {
  for (let i = 0; i < n / 10; i++) sessions.verifySession(value, now, generationOf) // warm up
  const start = process.hrtime.bigint()
  let ok = 0
  for (let i = 0; i < n; i++) if (sessions.verifySession(value, now, generationOf).ok) ok++
  const ns = Number(process.hrtime.bigint() - start) / n
  if (ok !== n) throw new Error('verification failed during the benchmark')
  console.log(`${label.padEnd(32)} ${ns.toFixed(0).padStart(7)} ns/verify`)
}

const cached = new Sessions({ keys })
const uncached = new Sessions({ keys, cacheSize: 0 })
const value = cached.issueSession('alice', 0, now).value
const oldKeyValue = new Sessions({ keys: [keys[1]!] }).issueSession('alice', 0, now).value
measure('cached', cached, value, 2_000_000)
measure('uncached (first key)', uncached, value, 200_000)
measure('uncached (second key)', uncached, oldKeyValue, 200_000)

// As the proxy does it: the cookie string is cut out of a fresh Cookie header each time.
{
  const header = `_xsrf=abc; ${SESSION_COOKIE_NAME}=${value}; theme=dark`
  const headers = Array.from({ length: 1024 }, (_, i) => header + ' '.repeat(i % 2) ) // distinct string objects
  const n = 1_000_000
  for (let i = 0; i < n / 10; i++) cached.verifySession(getCookie(headers[i & 1023], SESSION_COOKIE_NAME), now, generationOf)
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) cached.verifySession(getCookie(headers[i & 1023], SESSION_COOKIE_NAME), now, generationOf)
  console.log(`${'getCookie + cached verify'.padEnd(32)} ${(Number(process.hrtime.bigint() - start) / n).toFixed(0).padStart(7)} ns/verify`)
}

// The whole per-request identity step: Cookie header → user record + scopes (memoised).
{
  const { RequestIdentifier } = await import('../../src/auth/request-identity.ts')
  const { emptyHubState, hubReducer, newUserRecord } = await import('../../src/auth/records.ts')
  const state = emptyHubState()
  hubReducer(state, { op: 'user.put', user: newUserRecord('alice', 0, { sessionGeneration: 0 }) })
  const identifier = new RequestIdentifier(cached, () => state)
  const headers = Array.from({ length: 1024 }, (_, i) => `_xsrf=abc; ${SESSION_COOKIE_NAME}=${value}; theme=dark` + ' '.repeat(i % 2))
  const n = 1_000_000
  let ok = 0
  for (let i = 0; i < n / 10; i++) identifier.identify({ cookie: headers[i & 1023] }, now)
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) if (identifier.identify({ cookie: headers[i & 1023] }, now).via === 'session') ok++
  if (ok !== n) throw new Error('identify failed during the benchmark')
  console.log(`${'RequestIdentifier.identify'.padEnd(32)} ${(Number(process.hrtime.bigint() - start) / n).toFixed(0).padStart(7)} ns/request`)
}
