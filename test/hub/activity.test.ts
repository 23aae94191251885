import t from 'tap'
import { makeHubContext, serveApi, addUser, addToken, call, T0 } from '../helpers/hub-context.ts'
import { serverEnvProvider } from '../../src/hub/server-tokens.ts'
import { parseActivityTime } from '../../src/hub/api/activity.ts'

const iso = (ms: number) => new Date(ms).toISOString()

t.test('timestamps: ISO-8601 with Z, offsets, Python microseconds; no zone means UTC; junk is 400', async (t) => {
  t.equal(parseActivityTime('2026-01-01T12:00:00.123456Z', 'x'), Date.UTC(2026, 0, 1, 12, 0, 0, 123))
  t.equal(parseActivityTime('2026-01-01T12:00:00', 'x'), Date.UTC(2026, 0, 1, 12))
  t.equal(parseActivityTime('2026-01-01T14:00:00+02:00', 'x'), Date.UTC(2026, 0, 1, 12))
  for (const bad of ['yesterday', '1700000000', '2026-13-45T00:00:00Z', '']) {
    t.throws(() => parseActivityTime(bad, 'last_activity'), { status: 400, code: 'BAD_TIMESTAMP' }, bad)
  }
})

t.test('POST /users/<name>/activity: the server token reports; timestamps only move forward; unknown server is 400', async (t) => {
  const ctx = await makeHubContext(t)
  const { hub } = ctx
  await addUser(hub, 'alice')
  await addUser(hub, 'bob')
  ctx.advance(60_000)
  await hub.servers.start('alice')
  const env = await serverEnvProvider(hub, 'http://127.0.0.1:1/hub/api')({ user: 'alice', serverName: '', baseUrl: '/user/alice/' })
  const token = env.JUPYTERHUB_API_TOKEN!
  const { url } = await serveApi(t, hub)
  const at = T0 + 30_000
  const report = (when: number, server = '') => ({ servers: { [server]: { last_activity: iso(when) } }, last_activity: iso(when) })

  const ok = await call(url, 'POST', '/users/alice/activity', { token, body: report(at) })
  t.equal(ok.status, 200)
  t.same(ok.json, {})
  t.equal(hub.servers.record('alice')?.lastActivity, at, 'the server\'s activity (what the culler reads)')
  t.equal(hub.store.state.users.alice?.lastActivity, at, 'and the user\'s')

  await call(url, 'POST', '/users/alice/activity', { token, body: report(at - 10_000) })
  t.equal(hub.servers.record('alice')?.lastActivity, at, 'an older report does not move it back')
  t.equal(hub.store.state.users.alice?.lastActivity, at)

  await call(url, 'POST', '/users/alice/activity', { token, body: report(T0 + 3_600_000) })
  t.equal(hub.store.state.users.alice?.lastActivity, hub.now(), 'a report from the future is capped at the hub\'s clock')

  const unknown = await call(url, 'POST', '/users/alice/activity', { token, body: { servers: { nope: { last_activity: iso(hub.now()) } } } })
  t.equal(unknown.status, 400)
  t.equal(unknown.json.status, 400)
  t.match(unknown.json.message, /no server named 'nope'/)
  const junk = await call(url, 'POST', '/users/alice/activity', { token, body: { last_activity: 'soon' } })
  t.equal(junk.status, 400, 'a bad timestamp is 400')
  t.equal((await call(url, 'POST', '/users/alice/activity', { token, body: '{not json' })).status, 400, 'bad JSON is 400')

  t.equal((await call(url, 'POST', '/users/bob/activity', { token, body: { last_activity: iso(at) } })).status, 403, 'alice\'s server cannot report for bob')
  t.equal((await call(url, 'POST', '/users/alice/activity', { token: 'mh_unknown', body: { last_activity: iso(at) } })).status, 403, 'unknown token: 403')
  const readOnly = await addToken(hub, 'alice', { scopes: ['read:users!user=alice'] })
  t.equal((await call(url, 'POST', '/users/alice/activity', { token: readOnly.token, body: { last_activity: iso(at) } })).status, 403, 'needs users:activity')
  t.equal((await call(url, 'GET', '/users/alice/activity', { token })).status, 405, 'GET is 405')
  await hub.servers.stop('alice')
})
