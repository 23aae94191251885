/**
 * The process spawner's promises that other tests take for granted: the
 * working-directory template, a 127.0.0.1 port, the log file, stop = SIGTERM
 * to the whole process group with SIGKILL after the grace period.
 */
import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { get, pidAlive, startHub, testProcessSpawner, viaRoute } from './spawn-fixture.ts'

const tiny = fileURLToPath(new URL('./fixtures/tiny-server.mjs', import.meta.url))

/** A server that ignores SIGTERM and has a child of its own (`sleep`) in its process group. */
const stubborn = `
const http = require('node:http')
const { spawn } = require('node:child_process')
process.on('SIGTERM', () => console.log('ignoring SIGTERM'))
const child = spawn('sleep', ['600'], { stdio: 'ignore' })
console.log('child pid=' + child.pid)
http.createServer((req, res) => res.end('ok')).listen(Number(process.argv[1]), '127.0.0.1')
`

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

t.test('the working directory follows the configured template, mode 0700; the port is on 127.0.0.1; output goes to the log file', async (t) => {
  const hub = await startHub(t, {
    spawner: testProcessSpawner({ cmd: [process.execPath, tiny, '--port={port}'] }),
    workDir: '{data_dir}/homes/{user}-work',
  })
  await hub.manager.start('ida')
  const record = hub.manager.record('ida')!
  t.match(record.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'a port of 127.0.0.1')
  const { url, headers } = viaRoute(hub, '/user/ida')
  const answer = JSON.parse((await get(`${url}/`, headers)).body) as { cwd: string; env: Record<string, string> }
  const expected = path.join(hub.dataDir, 'homes', 'ida-work')
  t.equal(answer.cwd, expected, 'the server runs in the templated directory')
  t.equal(answer.env.HOME, expected, 'which is its HOME')
  t.equal((await fs.stat(expected)).mode & 0o777, 0o700, 'created private')
  const log = await fs.readFile(path.join(hub.dataDir, 'logs', 'ida', '_default.log'), 'utf8')
  t.match(log, /monohub starts \/user\/ida\//, 'the hub notes the start in the log')
  t.match(log, /tiny-server pid=\d+/, 'and the server\'s own output follows')
})

t.test('stop sends SIGTERM to the whole process group and SIGKILLs it after the grace period', async (t) => {
  const hub = await startHub(t, {
    spawner: testProcessSpawner({ cmd: [process.execPath, '-e', stubborn, '{port}'], stopGraceMs: 700 }),
  })
  await hub.manager.start('jo')
  const pid = hub.pid('jo')
  const logFile = path.join(hub.dataDir, 'logs', 'jo', '_default.log')
  const childPid = await until('the server to print its child\'s pid', 10, async () => {
    const found = /child pid=(\d+)/.exec(await fs.readFile(logFile, 'utf8'))
    return found === null ? undefined : Number(found[1])
  })
  t.ok(Number.isInteger(childPid) && pidAlive(childPid), 'the server\'s own child runs')

  const began = Date.now()
  t.equal(await hub.manager.stop('jo'), true)
  const took = Date.now() - began
  t.notOk(pidAlive(pid), 'the server that ignored SIGTERM is gone')
  await until('the child to be gone', 5, () => (pidAlive(childPid) ? undefined : true))
  t.pass('and so is its child, in the same process group')
  t.ok(took >= 600, `stop waited for the grace period first (${took} ms)`)
  t.ok(took < 5000, 'but not much longer')
  t.match(await fs.readFile(logFile, 'utf8'), /ignoring SIGTERM/, 'SIGTERM came first')
  t.notOk(hub.routes.routes.get('/user/jo'), 'the route is gone')
})
