/**
 * jupyterhub-idle-culler's exact conversation with the hub, replayed with a
 * service token that holds exactly the culler's scopes. (The culler itself
 * cannot run here: it is neither on PyPI's reach from this machine nor a
 * Debian package, so this test speaks its requests — those of
 * jupyterhub_idle_culler/__init__.py: cull_idle → fetch_paginated →
 * handle_user → handle_server.)
 *
 *   GET  /hub/api/                                    version (≥ 2.0 → ask for pages)
 *   GET  /hub/api/users?state=ready                   Accept: application/jupyterhub-pagination+json,
 *                                                     following the ABSOLUTE _pagination.next.url
 *   read users[].servers{}.{pending, ready, url, started, last_activity}
 *   DELETE /hub/api/users/<n>/server | /servers/<s>   204 stopped (202 = slow to stop)
 *
 * The hub's clock is moved two hours on between two batches of servers, so
 * "idle" is exact: the first batch is idle for 2 h, the second for seconds.
 */
import t from 'tap'
import { pidAlive, serverPid, serversHub, until } from './servers-hub.ts'
import { addUser } from '../helpers/hub-context.ts'

const CULLER_TOKEN = 'idle-culler-token-0123456789abcdef'
const CULLER_SCOPES = ['list:users', 'read:users:activity', 'read:servers', 'delete:servers']
const PAGINATION = 'application/jupyterhub-pagination+json'
const TIMEOUT_S = 3600

interface ServerModel { name: string; ready: boolean; pending: string | null; url: string; started: string | null; last_activity: string | null }
interface UserModel { name: string; servers?: Record<string, ServerModel> }

t.test('jupyterhub-idle-culler\'s request sequence culls idle servers (default and named) and leaves the active one', async (t) => {
  let offset = 0
  const h = await serversHub(t, {
    config: {
      cmd: 'demo',
      allowNamedServers: true,
      services: [{ name: 'idle-culler', apiToken: CULLER_TOKEN, scopes: CULLER_SCOPES }],
    },
    deps: { now: () => Date.now() + offset },
  })
  for (const name of ['alice', 'bob', 'carol', 'dave']) await addUser(h.hub, name)
  // Two hours ago: alice (default and 'lab'), carol. Now: bob. dave has no server.
  await h.hub.servers.start('alice')
  await h.hub.servers.start('alice', 'lab')
  await h.hub.servers.start('carol')
  offset = 2 * 3600_000
  await h.hub.servers.start('bob')
  const pids = { alice: serverPid(h.hub, 'alice'), lab: serverPid(h.hub, 'alice', 'lab'), bob: serverPid(h.hub, 'bob'), carol: serverPid(h.hub, 'carol') }

  const api = `${h.url}/hub/api`
  const auth = { authorization: `token ${CULLER_TOKEN}` }
  const requests: string[] = []
  const fetchJson = async (url: string, init: RequestInit = {}) => {
    requests.push(`${init.method ?? 'GET'} ${new URL(url).pathname}${new URL(url).search}`)
    const response = await fetch(url, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(20_000) })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) }
  }

  // 1. The version: the culler asks for pages from hubs ≥ 2.0.
  const root = await fetchJson(`${api}/`)
  t.equal(root.status, 200)
  t.match(root.body, { version: /^\d+\.\d+\.\d+/ })
  t.ok(Number(root.body.version.split('.')[0]) >= 2, 'a version that makes the culler use pagination')
  t.equal(root.headers.get('x-jupyterhub-version'), root.body.version)

  // 2. Every ready user, page by page. (The culler asks with the hub's default page size; limit=2 here
  //    makes this small hub answer in pages, so next.url is really followed.)
  const users: UserModel[] = []
  let next: string | null = `${api}/users?state=ready&limit=2`
  let pages = 0
  while (next !== null && pages < 10) {
    const page = await fetchJson(next, { headers: { accept: PAGINATION } })
    t.equal(page.status, 200, `page ${pages + 1}`)
    t.match(page.headers.get('content-type'), /^application\/json/)
    users.push(...(page.body.items as UserModel[]))
    next = page.body._pagination.next?.url ?? null
    if (next !== null) {
      t.equal(new URL(next).origin, h.url, 'next.url is absolute, on the hub')
      t.equal(new URL(next).searchParams.get('state'), 'ready', 'and keeps the filter')
    }
    pages++
  }
  t.equal(pages, 2, 'three ready users in pages of two')
  t.same(users.map((u) => u.name).sort(), ['alice', 'bob', 'carol'], 'state=ready: dave (no server) is left out')

  // 3. handle_user / handle_server, as the culler decides.
  const now = Date.now() + offset
  const culled: string[] = []
  for (const user of users) {
    t.ok(user.servers !== undefined, `${user.name}'s model has servers (read:servers)`)
    for (const [serverName, server] of Object.entries(user.servers ?? {})) {
      t.match(server, { name: serverName, ready: Boolean, url: String, started: /Z$/, last_activity: /Z$/ })
      if (server.pending !== null) continue // "Not culling server … with pending …"
      if (!server.ready) continue // "Not culling not-ready not-pending server"
      const inactive = (now - Date.parse(server.last_activity ?? server.started!)) / 1000
      if (inactive <= TIMEOUT_S) continue
      const deleteUrl = serverName === ''
        ? `${api}/users/${encodeURIComponent(user.name)}/server`
        : `${api}/users/${encodeURIComponent(user.name)}/servers/${encodeURIComponent(serverName)}`
      const answer = await fetchJson(deleteUrl, { method: 'DELETE' })
      t.ok(answer.status === 204 || answer.status === 202, `DELETE ${user.name}/${serverName} → ${answer.status}`)
      culled.push(`${user.name}/${serverName}`)
    }
  }
  t.same(culled.sort(), ['alice/', 'alice/lab', 'carol/'])
  t.same(requests.slice(0, 2), ['GET /hub/api/', 'GET /hub/api/users?state=ready&limit=2'])
  t.match(requests[2], /^GET \/hub\/api\/users\?(?=.*state=ready)(?=.*offset=2)/, 'the second page came from next.url')
  t.ok(requests.slice(3).every((r) => r.startsWith('DELETE ')), 'then only the DELETEs')

  // The servers really stopped; bob's runs on.
  t.ok(await until(() => !pidAlive(pids.alice) && !pidAlive(pids.lab) && !pidAlive(pids.carol), 10_000), 'the idle servers\' processes are gone')
  t.ok(pidAlive(pids.bob), 'the active server runs')
  t.equal(h.hub.servers.status('alice'), undefined)
  t.equal(h.hub.servers.status('alice', 'lab'), undefined)
  t.equal(h.hub.servers.status('bob')?.ready, true)
  t.equal(h.hub.routes.get('/user/alice/'), undefined, 'and their routes')

  // A second round finds only bob, who is not idle.
  const again = await fetchJson(`${api}/users?state=ready`, { headers: { accept: PAGINATION } })
  t.same(again.body.items.map((u: UserModel) => u.name), ['bob'])
  t.equal(again.body._pagination.next, null)
})

t.test('the culler\'s token can do nothing beyond its scopes', async (t) => {
  const h = await serversHub(t, { config: { cmd: 'demo', services: [{ name: 'idle-culler', apiToken: CULLER_TOKEN, scopes: CULLER_SCOPES }] } })
  await addUser(h.hub, 'alice')
  const auth = { authorization: `token ${CULLER_TOKEN}` }
  const me = await (await fetch(`${h.url}/hub/api/user`, { headers: auth })).json()
  t.match(me, { kind: 'service', name: 'idle-culler' })
  t.same(me.scopes, ['delete:servers', 'list:users', 'read:servers', 'read:users:activity', 'read:users:name'])
  const start = await fetch(`${h.url}/hub/api/users/alice/server`, { method: 'POST', headers: auth })
  t.equal(start.status, 403, 'it cannot start servers')
  t.match(await start.json(), { status: 403, message: /servers/ })
  t.equal((await fetch(`${h.url}/hub/api/users/alice`, { method: 'DELETE', headers: auth })).status, 403, 'nor delete users (no admin:users without --cull-users)')
  t.equal((await fetch(`${h.url}/hub/api/users/alice/tokens`, { headers: auth })).status, 403, 'nor read tokens')
  const model = await (await fetch(`${h.url}/hub/api/users/alice`, { headers: auth })).json()
  t.same(Object.keys(model).sort(), ['kind', 'last_activity', 'name', 'servers'], 'it sees what the culler reads, no more')
})
