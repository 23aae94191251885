import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import WebSocket from 'ws'
import { get, pidAlive, startHub, testProcessSpawner, viaRoute } from './spawn-fixture.ts'
import { DEMO_NOTICE } from '../../src/spawn/spawners/demo-server/page.ts'

t.test('the demo server starts, answers at its route with the token and refuses without it', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: 'demo' }) })
  const status = await hub.manager.start('alice')
  t.equal(status.ready, true)
  t.equal(status.path, '/user/alice/')
  const route = hub.routes.routes.get('/user/alice/')
  t.ok(route, 'route added')
  t.match(route!.data, { jupyterhub: true, user: 'alice', server_name: '' })
  t.type(route!.data.authToken, 'string', 'the route carries the token the proxy injects')
  t.match(route!.origin, /^http:\/\/127\.0\.0\.1:\d+$/)

  await fs.writeFile(path.join(hub.dataDir, 'users', 'alice', 'notes.txt'), 'hi')
  const { url, headers } = viaRoute(hub, '/user/alice/')
  const page = await get(url, headers)
  t.equal(page.status, 200)
  t.match(page.body, 'Hello, alice')
  t.match(page.body, 'notes.txt')
  t.match(page.body, 'DEMO server')
  t.match(page.body, '--cmd jupyterhub-singleuser')

  const api = await get(`${url}api`, headers)
  t.equal(api.status, 200)
  t.match(JSON.parse(api.body), { server: 'monohub-demo', user: 'alice', base_url: '/user/alice/', pid: hub.pid('alice') })

  t.equal((await get(url)).status, 403, 'no token: 403')
  t.equal((await get(url, { authorization: 'token wrong' })).status, 403, 'wrong token: 403')
  t.equal((await get(`${route!.origin}/user/bob/`, headers)).status, 404, 'outside its base URL: 404')

  const log = await fs.readFile(path.join(hub.dataDir, 'logs', 'alice', '_default.log'), 'utf8')
  t.match(log, 'monohub demo server for alice listening')
  t.match(log, DEMO_NOTICE)
  t.notMatch(log, route!.data.authToken as string, 'the token is not in the log')
  t.equal((await fs.stat(path.join(hub.dataDir, 'users', 'alice'))).mode & 0o777, 0o700, 'working dir is private')
})

t.test('the demo server echoes over a WebSocket with the token and refuses the upgrade without it', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: 'demo' }) })
  await hub.manager.start('bob')
  const { url, headers } = viaRoute(hub, '/user/bob/')
  const wsUrl = url.replace(/^http/, 'ws') + 'ws'
  // Two at once, as the first upgrades: the echo server is loaded on the first
  // WebSocket, and both must get it — each message echoed exactly once.
  const sockets = [new WebSocket(wsUrl, { headers }), new WebSocket(wsUrl, { headers })]
  await Promise.all(sockets.map((ws) => new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })))
  for (const [i, ws] of sockets.entries()) {
    const received: string[] = []
    ws.on('message', (data) => received.push(String(data)))
    ws.send(`ping ${i}`)
    ws.send(`pong ${i}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    t.same(received, [`ping ${i}`, `pong ${i}`], `socket ${i}: each message echoed once`)
  }
  const api = await get(`${url}api`, headers)
  t.equal(JSON.parse(api.body).websocket_clients, 2)
  for (const ws of sockets) ws.close()

  const refused = new WebSocket(wsUrl)
  const status = await new Promise<number>((resolve) => {
    refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    refused.once('error', () => resolve(-1))
  })
  t.equal(status, 403)
})

t.test('stop ends the demo server process and removes its route', async (t) => {
  const hub = await startHub(t, { spawner: testProcessSpawner({ cmd: 'demo' }) })
  await hub.manager.start('carol')
  const pid = hub.pid('carol')
  t.ok(pidAlive(pid))
  t.equal(await hub.manager.stop('carol'), true)
  t.equal(hub.routes.routes.get('/user/carol/'), undefined)
  t.equal(hub.manager.status('carol'), undefined)
  t.notOk(pidAlive(pid), 'process gone')
  t.equal(await hub.manager.stop('carol'), false, 'stopping again: nothing to stop')
})
