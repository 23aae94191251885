/**
 * Starts that fail, as the person pressing Start sees them: the progress
 * page turns into a clear message with the last lines of the server's log
 * and a Retry button, and nothing is left behind (no route, no process).
 * Also: 429 from the spawn limit shown with the wait, and the options form.
 */
import t, { type Test } from 'tap'
import { browserFor, serversHub, tinyCmd, until, xsrfIn } from './servers-hub.ts'
import type { Browser } from '../helpers/cookie-jar.ts'
import type { TestHub } from '../helpers/hub.ts'

async function pressStart(b: Browser, fields: Record<string, string> = {}): Promise<Response> {
  const page = await (await b.fetch('/hub/spawn/alice')).text()
  return b.fetch('/hub/spawn/alice', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _xsrf: xsrfIn(page), ...fields }).toString(),
  })
}

/** Presses Start, waits for the start to end, returns the progress page. */
async function failedStart(t: Test, h: TestHub, b: Browser): Promise<string> {
  const posted = await pressStart(b)
  t.equal(posted.status, 303)
  t.ok(await until(() => h.hub.servers.status('alice') === undefined, 15_000), 'the start ended')
  const page = await b.fetch(posted.headers.get('location')!)
  t.equal(page.status, 200)
  return page.text()
}
for (const [what, cmd, expect] of [
  ['a command that is not found', ['/nonexistent/jupyter-lab', '--port={port}'], /command &#39;\/nonexistent\/jupyter-lab&#39; was not found/],
  ['a server that exits at once', tinyCmd('--exit-now'), /stopped before it answered \(it exited with code 3\)/],
  ['a server that never listens', tinyCmd('--no-listen'), /did not answer within 2 s/],
] as const) {
  t.test(`${what}: a clear message with the log tail and Retry, and no route or process left`, async (t) => {
    const h = await serversHub(t, { config: { cmd: [...cmd], startTimeout: 2 } })
    const alice = await browserFor(t, h, 'alice')
    const page = await failedStart(t, h, alice)
    t.match(page, /The server could not be started/)
    t.match(page, expect)
    if (what !== 'a command that is not found') t.match(page, /<pre class="log">[^<]*tiny-server/, 'the last lines of its log')
    t.match(page, />Retry</)
    t.equal(h.hub.routes.get('/user/alice/'), undefined, 'no route')
    t.equal(h.hub.servers.record('alice'), undefined, 'no record (so no process is tracked)')
    const ps = await import('node:child_process').then((cp) => cp.execFileSync('ps', ['-eo', 'args']).toString())
    t.notMatch(ps, new RegExp(`${h.dataDir}/users/alice`), 'no process left in its folder')
    const home = await (await alice.fetch('/hub/home')).text()
    t.match(home, /why the last start failed/, 'the home page links to the reason')
    const visit = await alice.fetch('/user/alice/', { headers: { accept: 'text/html' } })
    t.equal(visit.status, 302, 'visiting the server leads to the spawn page')
    const spawn = await (await alice.fetch(visit.headers.get('location')!)).text()
    t.notMatch(spawn, /submit\(\)/, 'which does not start it again by itself after a failure')
    t.match(spawn, />Retry</)
  })
}

t.test('over the spawn limit, the page says how long to wait (429) and keeps the choice', async (t) => {
  const h = await serversHub(t, { config: { concurrentSpawnLimit: 1, cmd: tinyCmd('--no-listen') } })
  const { addUser } = await import('../helpers/hub-context.ts')
  await addUser(h.hub, 'bob')
  const bobStart = h.hub.servers.start('bob')
  bobStart.catch(() => {})
  t.ok(await until(() => h.hub.servers.record('bob') !== undefined))
  const alice = await browserFor(t, h, 'alice')
  const refused = await pressStart(alice)
  t.equal(refused.status, 429)
  t.match(refused.headers.get('retry-after'), /^\d+$/)
  t.match(await refused.text(), /Too many servers are starting right now\. Wait about \d+ seconds/)
  t.equal(h.hub.servers.status('alice'), undefined)
  await h.hub.servers.stop('bob')
})

t.test('a spawner with an options form: the home and spawn pages show it, and bad values are refused with the field named', async (t) => {
  const { processSpawner } = await import('../../src/spawn/spawners/process.ts')
  const base = processSpawner({ cmd: tinyCmd(), allowRoot: true })
  const spawner = {
    ...base,
    name: 'process',
    optionsForm: () => ({ fields: [
      { name: 'memory', label: 'Memory', type: 'select' as const, choices: [{ value: '1G', label: '1 GB' }, { value: '2G', label: '2 GB' }], default: '1G' },
      { name: 'cpus', label: 'CPUs', type: 'number' as const, min: 1, max: 4, step: 1, default: 1 },
    ] }),
  }
  const h = await serversHub(t, { deps: { spawner } })
  const alice = await browserFor(t, h, 'alice')
  const home = await (await alice.fetch('/hub/home')).text()
  t.match(home, /<select id="opt-memory" name="memory">/)
  t.match(home, /name="cpus" type="number" min="1" max="4"/)
  const bad = await pressStart(alice, { memory: '2G', cpus: '9' })
  t.equal(bad.status, 400)
  t.match(await bad.text(), /CPUs must be between 1 and 4, got 9/)
  const good = await pressStart(alice, { memory: '2G', cpus: '2' })
  t.equal(good.status, 303)
  t.ok(await until(() => h.hub.servers.status('alice')?.ready === true))
  t.same(h.hub.servers.status('alice')?.userOptions, { memory: '2G', cpus: 2 })
  await h.hub.servers.stop('alice')
})
