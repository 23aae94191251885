/**
 * The REST API for users' servers on a whole hub with real child processes:
 * start/stop in JupyterHub's shapes, the progress event stream, the user
 * model's servers, ?state= filters, scopes, the spawn limit (429), named
 * servers, failures with the server's log.
 */
import t from 'tap'
import { addToken, call } from '../helpers/hub-context.ts'
import { pidAlive, serverPid, serversHub, tinyCmd, until } from './servers-hub.ts'
import { addUser } from '../helpers/hub-context.ts'

t.test('POST /users/<name>/server starts it (201), the user model shows it ready, DELETE stops it (204) and its process is gone', async (t) => {
  const h = await serversHub(t)
  await addUser(h.hub, 'alice')
  const { token } = await addToken(h.hub, 'admin')
  const started = await call(h.url, 'POST', '/users/alice/server', { token })
  t.equal(started.status, 201)
  t.equal(started.json.ready, true)
  t.equal(started.json.url, '/user/alice/')
  const pid = serverPid(h.hub, 'alice')
  t.ok(pidAlive(pid), 'the server process runs')

  const model = (await call(h.url, 'GET', '/users/alice', { token })).json
  t.equal(model.server, '/user/alice/')
  t.equal(model.pending, null)
  t.match(model.servers[''], { name: '', ready: true, pending: null, stopped: false, url: '/user/alice/', progress_url: '/hub/api/users/alice/server/progress', user_options: {} })
  t.match(model.servers[''].started, /^\d{4}-\d\d-\d\dT.*Z$/)
  t.not(model.last_activity, null)

  const again = await call(h.url, 'POST', '/users/alice/server', { token })
  t.equal(again.status, 400, 'starting a running server is refused as in JupyterHub')
  t.match(again.json.message, /already running/)

  const stopped = await call(h.url, 'DELETE', '/users/alice/server', { token })
  t.equal(stopped.status, 204)
  t.ok(await until(() => !pidAlive(pid), 5000), 'the process is gone')
  t.equal(h.hub.routes.get('/user/alice/'), undefined, 'and its route')
  const after = (await call(h.url, 'GET', '/users/alice', { token })).json
  t.same(after.servers, {})
  t.equal(after.server, null)
  t.equal((await call(h.url, 'DELETE', '/users/alice/server', { token })).status, 204, 'stopping a stopped server is 204')
})

t.test('the progress stream speaks JupyterHub\'s event shape and ends with ready and the url', async (t) => {
  const h = await serversHub(t)
  await addUser(h.hub, 'alice')
  const { token } = await addToken(h.hub, 'admin')
  const starting = h.hub.servers.start('alice')
  const response = await fetch(`${h.url}/hub/api/users/alice/server/progress`, { headers: { authorization: `token ${token}` }, signal: AbortSignal.timeout(15_000) })
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/event-stream/)
  const text = await response.text()
  await starting
  serverPid(h.hub, 'alice')
  const events = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)))
  t.ok(events.length >= 2, `${events.length} events`)
  for (const e of events) t.match(e, { progress: Number, message: String, ready: Boolean, failed: Boolean })
  const last = events.at(-1)
  t.match(last, { progress: 100, ready: true, failed: false, url: '/user/alice/' })
  t.ok(events.every((e, i) => i === 0 || e.progress >= events[i - 1].progress), 'progress never goes back')
  const idle = await (await fetch(`${h.url}/hub/api/users/alice/servers/nope/progress`, { headers: { authorization: `token ${token}` } })).text()
  t.match(idle, /"failed":true/, 'a server that is not starting has a stream too, saying so')
})

t.test('?state=ready|active|inactive filters users by their servers', async (t) => {
  const h = await serversHub(t)
  await addUser(h.hub, 'alice')
  await addUser(h.hub, 'bob')
  const { token } = await addToken(h.hub, 'admin')
  await h.hub.servers.start('alice')
  serverPid(h.hub, 'alice')
  const names = async (state: string) => ((await call(h.url, 'GET', `/users?state=${state}`, { token })).json as { name: string }[]).map((u) => u.name).sort()
  t.same(await names('ready'), ['alice'])
  t.same(await names('active'), ['alice'])
  t.same(await names('inactive'), ['admin', 'bob'])
  const list = (await call(h.url, 'GET', '/users', { token })).json as { name: string; servers: Record<string, unknown> }[]
  t.ok(list.find((u) => u.name === 'alice')!.servers[''], 'the list carries server models')
})

t.test('a user may start and stop only their own server; an admin may do both for anyone', async (t) => {
  const h = await serversHub(t)
  await addUser(h.hub, 'alice')
  await addUser(h.hub, 'bob')
  const bob = await addToken(h.hub, 'bob')
  const alice = await addToken(h.hub, 'alice')
  const refused = await call(h.url, 'POST', '/users/alice/server', { token: bob.token })
  t.equal(refused.status, 403)
  t.match(refused.json.message, /servers/)
  t.equal(h.hub.servers.status('alice'), undefined)
  t.equal((await call(h.url, 'POST', '/users/alice/server', { token: alice.token })).status, 201, 'the owner may')
  serverPid(h.hub, 'alice')
  t.equal((await call(h.url, 'DELETE', '/users/alice/server', { token: bob.token })).status, 403)
  t.equal((await call(h.url, 'GET', '/users/alice/server/progress', { token: bob.token })).status, 403)
  const read = await addToken(h.hub, 'alice', { scopes: ['read:users!user=alice'] })
  const model = (await call(h.url, 'GET', '/users/alice', { token: read.token })).json
  t.same(model.servers, {}, 'servers are shown only with read:servers')
  t.equal((await call(h.url, 'DELETE', '/users/alice/server', { token: (await addToken(h.hub, 'admin')).token })).status, 204)
  t.equal((await call(h.url, 'POST', '/users/nobody/server', { token: alice.token })).status, 404)
})

t.test('beyond the concurrent spawn limit a start is 429 with Retry-After, and nothing is started', async (t) => {
  const h = await serversHub(t, { config: { concurrentSpawnLimit: 1, cmd: tinyCmd('--no-listen') } })
  await addUser(h.hub, 'alice')
  await addUser(h.hub, 'bob')
  const { token } = await addToken(h.hub, 'admin')
  const first = h.hub.servers.start('alice')
  first.catch(() => {})
  t.ok(await until(() => h.hub.servers.record('alice') !== undefined), 'alice is starting')
  serverPid(h.hub, 'alice')
  const second = await call(h.url, 'POST', '/users/bob/server', { token })
  t.equal(second.status, 429)
  t.match(second.headers.get('retry-after'), /^\d+$/)
  t.match(second.json.message, /try again in \d+ s/)
  t.equal(h.hub.servers.status('bob'), undefined)
  t.equal((await call(h.url, 'DELETE', '/users/alice/server', { token })).status, 204, 'a stop cancels the start')
})

t.test('named servers: refused when off; when on, each has its own route and model', async (t) => {
  const off = await serversHub(t)
  await addUser(off.hub, 'alice')
  const offToken = (await addToken(off.hub, 'admin')).token
  const refused = await call(off.url, 'POST', '/users/alice/servers/lab', { token: offToken })
  t.equal(refused.status, 400)
  t.match(refused.json.message, /named servers are not enabled/)

  const h = await serversHub(t, { config: { allowNamedServers: true, namedServerLimitPerUser: 1 } })
  await addUser(h.hub, 'alice')
  const { token } = await addToken(h.hub, 'admin')
  t.equal((await call(h.url, 'POST', '/users/alice/servers/lab', { token })).status, 201)
  serverPid(h.hub, 'alice', 'lab')
  t.ok(h.hub.routes.get('/user/alice/lab/'), 'routed at /user/alice/lab/')
  const over = await call(h.url, 'POST', '/users/alice/servers/two', { token })
  t.equal(over.status, 400)
  t.match(over.json.message, /named servers, the most allowed/)
  const model = (await call(h.url, 'GET', '/users/alice', { token })).json
  t.match(model.servers.lab, { name: 'lab', ready: true, url: '/user/alice/lab/', progress_url: '/hub/api/users/alice/servers/lab/progress' })
  t.equal(model.server, null, 'the default server is not running')
  t.equal((await call(h.url, 'DELETE', '/users/alice/servers/lab', { token })).status, 204)
})

t.test('a server that exits at once: the API answers with the reason and its log, and leaves no route', async (t) => {
  const h = await serversHub(t, { config: { cmd: tinyCmd('--exit-now') } })
  await addUser(h.hub, 'alice')
  const { token } = await addToken(h.hub, 'admin')
  const failed = await call(h.url, 'POST', '/users/alice/server', { token })
  t.equal(failed.status, 500)
  t.match(failed.json.message, /stopped before it answered/)
  t.match(failed.json.message, /giving up at once/, 'with the last lines of its log')
  t.equal(h.hub.routes.get('/user/alice/'), undefined)
  t.equal(h.hub.servers.status('alice'), undefined)
  const progress = await (await fetch(`${h.url}/hub/api/users/alice/server/progress`, { headers: { authorization: `token ${token}` } })).text()
  t.match(progress, /"failed":true/)
  t.match(progress, /"log_tail":\[/)
})
