/**
 * A user server killed from outside is noticed at the first request that
 * cannot reach it — not at the next poll round (set to 10 minutes here):
 * that request's 503 says where to start it again, and the next one leads
 * to the spawn page. Also --server-poll-interval is validated.
 */
import t from 'tap'
import http from 'node:http'
import { Command } from 'commander'
import { addHubOptions, hubConfigFromCommand } from '../../src/cli/default-command.ts'
import { loadHubConfig } from '../../src/config/hub-config.ts'
import { browserFor, serverPid, serversHub, until } from './servers-hub.ts'

const html = { accept: 'text/html' }
const NO_POLL_ROUND = { serverPollIntervalMs: 600_000 }

t.test('a default server killed from outside: the next request after the first 503 goes to the spawn page, well under the poll interval', async (t) => {
  const h = await serversHub(t, { deps: NO_POLL_ROUND })
  const alice = await browserFor(t, h, 'alice')
  await h.hub.servers.start('alice')
  const pid = serverPid(h.hub, 'alice')
  t.equal((await alice.fetch('/user/alice/tree')).status, 200)
  process.kill(-pid, 'SIGKILL')
  t.ok(await until(() => { try { process.kill(pid, 0); return false } catch { return true } }, 5000), 'the process is gone')
  const began = Date.now()
  const first = await alice.fetch('/user/alice/tree', { headers: html })
  if (first.status === 503) {
    t.match(await first.text(), /start it again at \/hub\/spawn\/alice/, 'the 503 says where to restart it')
  } else {
    t.equal(first.status, 302, 'or it already leads to the spawn page')
  }
  t.ok(await until(() => h.hub.routes.get('/user/alice/') === undefined, 3000), 'its route is removed at once')
  const next = await alice.fetch('/user/alice/tree', { headers: html })
  t.equal(next.status, 302)
  t.equal(next.headers.get('location'), `/hub/spawn/alice?next=${encodeURIComponent('/user/alice/tree')}`)
  t.ok(Date.now() - began < 5000, `noticed in ${Date.now() - began} ms, not at the next poll round`)
  t.equal(h.hub.servers.status('alice'), undefined)
})

t.test('a named server killed from outside leads to ITS spawn page; a WebSocket to a killed server is noticed too', async (t) => {
  const h = await serversHub(t, { config: { allowNamedServers: true }, deps: NO_POLL_ROUND })
  const alice = await browserFor(t, h, 'alice')
  await h.hub.servers.start('alice', 'p1')
  const pid = serverPid(h.hub, 'alice', 'p1')
  process.kill(-pid, 'SIGKILL')
  await until(() => { try { process.kill(pid, 0); return false } catch { return true } }, 5000)
  await alice.fetch('/user/alice/p1/x', { headers: html })
  t.ok(await until(() => h.hub.routes.get('/user/alice/p1/') === undefined, 3000), 'route removed')
  const next = await alice.fetch('/user/alice/p1/x', { headers: html })
  t.equal(next.headers.get('location'), `/hub/spawn/alice/p1?next=${encodeURIComponent('/user/alice/p1/x')}`)

  await h.hub.servers.start('alice')
  const defaultPid = serverPid(h.hub, 'alice')
  process.kill(-defaultPid, 'SIGKILL')
  await until(() => { try { process.kill(defaultPid, 0); return false } catch { return true } }, 5000)
  const port = Number(new URL(h.url).port)
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/user/alice/ws', headers: { cookie: alice.cookieHeader(), connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } })
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('upgrade', (_res, socket) => { socket.destroy(); reject(new Error('upgraded to a dead server')) })
    req.on('error', reject)
    req.setTimeout(5000, () => reject(new Error('no answer')))
    req.end()
  })
  t.equal(status, 503, 'the upgrade is refused')
  t.ok(await until(() => h.hub.routes.get('/user/alice/') === undefined, 3000), 'and the dead server\'s route removed')
})

t.test('--server-poll-interval: whole seconds, 1 or more; default 30', async (t) => {
  const cwd = process.cwd()
  t.equal((await loadHubConfig({ flags: {}, env: {}, cwd })).serverPollInterval, 30)
  t.equal((await loadHubConfig({ flags: {}, env: { MONOHUB_SERVER_POLL_INTERVAL: '5' }, cwd })).serverPollInterval, 5)
  for (const bad of ['0', '-1', '2.5', 'soon']) {
    await t.rejects(loadHubConfig({ flags: { serverPollInterval: bad }, env: {}, cwd }), /server-poll-interval/, `${bad} is refused`)
  }
  const command = addHubOptions(new Command()).exitOverride()
  command.parse(['--server-poll-interval', '7'], { from: 'user' })
  t.equal((await hubConfigFromCommand(command, {}, cwd)).serverPollInterval, 7, 'the flag')
  await t.rejects(hubConfigFromCommand(addHubOptions(new Command()).exitOverride().parse(['--server-poll-interval', '0'], { from: 'user' }), {}, cwd), /server-poll-interval must be a whole number of seconds \(1 or more\), got '0' \(from --server-poll-interval\)/)
})
