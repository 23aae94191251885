import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { scriptSpawner } from '../../src/spawn/spawners/script.ts'
import { SpawnError } from '../../src/spawn/errors.ts'
import type { ProgressEvent } from '../../src/spawn/progress-feed.ts'
import { get, pidAlive, startHub, viaRoute } from './spawn-fixture.ts'

const script = fileURLToPath(new URL('./fixtures/script-spawner.mjs', import.meta.url))
const node = process.execPath
const actions = { start: [node, script, 'start'], poll: [node, script, 'poll'], stop: [node, script, 'stop'] }
const inline = (code: string) => [node, '-e', code]

async function failure(promise: Promise<unknown>): Promise<SpawnError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  if (!(error instanceof SpawnError)) throw new Error(`expected a SpawnError, got ${String(error)}`)
  return error
}

t.test('start/poll/stop scripts run a server: progress lines, multi-line result, token, options, stderr in the log', async (t) => {
  const hub = await startHub(t, {
    spawner: scriptSpawner({
      ...actions,
      optionsForm: { fields: [{ name: 'size', label: 'Machine size', type: 'select', choices: [{ value: 'small', label: 'Small' }, { value: 'large', label: 'Large' }], default: 'small' }] },
    }),
  })
  const events: ProgressEvent[] = []
  const starting = hub.manager.start('vera', '', { size: 'large' })
  const feed = (async () => { for await (const e of hub.manager.progress('vera')) events.push(e) })()
  await starting
  await feed
  t.ok(events.some((e) => e.message === 'booting a machine for vera' && e.progress === 30), 'progress line from the script')
  const { url, headers } = viaRoute(hub, '/user/vera/')
  t.same(headers, { authorization: 'token tok-vera' })
  const answer = JSON.parse((await get(url, headers)).body)
  t.ok(answer.args.includes('--options={"size":"large"}'), 'validated options reach the script')
  t.match(await fs.readFile(path.join(hub.dataDir, 'logs', 'vera', '_default.log'), 'utf8'), 'start for vera at /user/vera/')
  t.match(hub.manager.record('vera'), { spawner: 'script', state: { pid: answer.pid }, userOptions: { size: 'large' } })
  await hub.manager.pollAll()
  t.match(hub.manager.status('vera'), { ready: true }, 'poll says running')
  await hub.manager.stop('vera')
  for (let i = 0; i < 100 && pidAlive(answer.pid); i++) await new Promise((r) => setTimeout(r, 20))
  t.notOk(pidAlive(answer.pid), 'stop script stopped it')
  t.match(await failure(hub.manager.start('vera', '', { size: 'huge' })), { code: 'BAD_OPTIONS', message: /Machine size must be one of small, large/ })
})

t.test('a failing start script: exit code and stderr tail in the message, no route', async (t) => {
  const hub = await startHub(t, { spawner: scriptSpawner({ ...actions, start: inline('process.stderr.write("no quota left in eu-west-1\\n"); process.exit(2)') }) })
  const error = await failure(hub.manager.start('walt'))
  t.equal(error.code, 'SCRIPT_FAILED')
  t.match(error.message, /^start script .+ exited with code 2; its stderr ended with: no quota left in eu-west-1/)
  t.match(error.logTail, ['no quota left in eu-west-1'])
  t.equal(hub.routes.routes.get('/user/walt/'), undefined)
})

t.test('a start script that prints no JSON, or a url with a path, is a clear error', async (t) => {
  const hub = await startHub(t, { spawner: scriptSpawner({ ...actions, start: inline('console.log("started!")') }) })
  t.match(await failure(hub.manager.start('xena')), { code: 'SCRIPT_OUTPUT', message: /must print one JSON object on stdout, but printed "started!"/ })
  const hub2 = await startHub(t, { spawner: scriptSpawner({ ...actions, start: inline('console.log(JSON.stringify({url: "http://h:1/user/x/", state: {}}))') }) })
  t.match(await failure(hub2.manager.start('xena')), { code: 'SCRIPT_OUTPUT', message: /"url" as the server's origin/ })
  const hub3 = await startHub(t, { spawner: scriptSpawner({ ...actions, start: ['/nonexistent/start-vm'] }) })
  t.match(await failure(hub3.manager.start('xena')), { code: 'SCRIPT_FAILED', message: /start script \/nonexistent\/start-vm could not be run: file not found/ })
})

t.test('a start script that hangs is killed at the start timeout', async (t) => {
  const hub = await startHub(t, { spawner: scriptSpawner({ ...actions, start: inline('process.stderr.write("waiting for capacity\\n"); setInterval(() => {}, 1000)') }), startTimeoutMs: 1000 })
  const began = Date.now()
  const error = await failure(hub.manager.start('yuri'))
  t.ok(Date.now() - began < 5000)
  t.equal(error.code, 'SPAWN_TIMEOUT')
  t.match(error.logTail, ['waiting for capacity'])
})

t.test('poll and stop scripts: timeouts and bad answers are errors naming the script', async (t) => {
  const spawner = scriptSpawner({ ...actions, poll: inline('console.log(JSON.stringify({status: "maybe"}))'), stop: inline('setInterval(() => {}, 1000)'), stopTimeoutMs: 500 })
  await t.rejects(spawner.poll({}), { code: 'SCRIPT_OUTPUT', message: /must print \{"status": "running"\} or \{"status": "stopped"\}, got "maybe"/ })
  await t.rejects(spawner.stop({}), { code: 'SCRIPT_TIMEOUT', message: /stop script .+ did not finish within 1 s/ })
  const hung = scriptSpawner({ ...actions, poll: inline('setInterval(() => {}, 1000)'), pollTimeoutMs: 300 })
  await t.rejects(hung.poll({}), { code: 'SCRIPT_TIMEOUT' })
})
