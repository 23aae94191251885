/**
 * A start slower than the API's wait (JupyterHub's slow_spawn_timeout,
 * 10 s): POST answers 202 with the server pending, the models say so while
 * it starts, and DELETE cancels the start. Takes ~10 s (the wait is fixed).
 */
import t from 'tap'
import { addToken, addUser, call } from '../helpers/hub-context.ts'
import { pidAlive, serversHub, tinyCmd, until } from './servers-hub.ts'
import { API_SPAWN_WAIT_MS } from '../../src/hub/api/servers.ts'

t.test('a start that outlasts the API wait is 202 pending; the models show it pending; DELETE cancels it', { timeout: 60_000 }, async (t) => {
  const h = await serversHub(t, { config: { cmd: tinyCmd('--no-listen'), startTimeout: 60 } })
  await addUser(h.hub, 'alice')
  const { token } = await addToken(h.hub, 'admin')

  const began = Date.now()
  // Not call(): its own 10 s time limit equals the API's wait.
  const started = await fetch(`${h.url}/hub/api/users/alice/server`, { method: 'POST', headers: { authorization: `token ${token}` }, signal: AbortSignal.timeout(30_000) })
  t.equal(started.status, 202, 'still starting when the wait ends')
  t.ok(Date.now() - began >= API_SPAWN_WAIT_MS - 100, 'after the API wait')
  t.match(await started.json(), { name: '', ready: false, pending: 'spawn', progress_url: '/hub/api/users/alice/server/progress' })

  const model = (await call(h.url, 'GET', '/users/alice', { token })).json
  t.equal(model.pending, 'spawn', 'the user model is pending spawn')
  t.match(model.servers[''], { ready: false, pending: 'spawn' })
  const active = (await call(h.url, 'GET', '/users?state=active', { token })).json as { name: string }[]
  t.same(active.map((u) => u.name), ['alice'], 'state=active includes pending servers')
  t.same((await call(h.url, 'GET', '/users?state=ready', { token })).json, [], 'state=ready does not')

  const again = await call(h.url, 'POST', '/users/alice/server', { token })
  t.equal(again.status, 400, 'a second start while pending is refused')
  t.match(again.json.message, /pending spawn/)

  const pid = (h.hub.servers.record('alice')?.state as { pid?: number } | undefined)?.pid
  const stopped = await call(h.url, 'DELETE', '/users/alice/server', { token })
  t.equal(stopped.status, 204, 'DELETE cancels the start')
  t.equal(h.hub.servers.status('alice'), undefined, 'nothing is left')
  if (typeof pid === 'number') t.ok(await until(() => !pidAlive(pid), 5000), 'and the process is gone')
})
