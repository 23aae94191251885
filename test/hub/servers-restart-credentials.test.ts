/**
 * A server that died while the hub was down is dropped when the hub starts
 * again — and so are its credentials (its API token, OAuth client and OAuth
 * tokens), exactly as when it dies or stops while the hub runs.
 */
import t from 'tap'
import { startHub } from '../helpers/hub.ts'
import { pidAlive, serverPid, serversHub, until } from './servers-hub.ts'
import { addUser } from '../helpers/hub-context.ts'
import type { HubContext } from '../../src/hub/context.ts'

const serverCredentials = (hub: HubContext, user: string): number =>
  Object.values(hub.store.state.tokens).filter((tk) => tk.owner === user && (tk.kind === 'server' || tk.kind === 'oauth')).length

t.test('a server that died while the hub was down loses its credentials at the next hub start', async (t) => {
  const first = await serversHub(t)
  await addUser(first.hub, 'alice')
  await first.hub.servers.start('alice')
  t.equal(serverCredentials(first.hub, 'alice'), 1, 'the running server has its API token')
  t.ok(first.hub.store.state.oauthClients?.['jupyterhub-user-alice'], 'and its OAuth client')
  const pid = serverPid(first.hub, 'alice')
  await first.close()
  process.kill(-pid, 'SIGKILL')
  t.ok(await until(() => !pidAlive(pid), 5000), 'the server died while the hub was down')

  const second = await startHub(t, { dataDir: first.dataDir, config: { allowRoot: true } })
  t.equal(second.hub.servers.status('alice'), undefined, 'dropped at adoption')
  t.ok(await until(() => serverCredentials(second.hub, 'alice') === 0, 5000), 'its API token is revoked')
  t.notOk(second.hub.store.state.oauthClients?.['jupyterhub-user-alice'], 'and its OAuth client')
})

t.test('a server forgotten because another spawner is configured now loses its credentials too', async (t) => {
  const first = await serversHub(t)
  await addUser(first.hub, 'alice')
  await first.hub.servers.start('alice')
  const pid = serverPid(first.hub, 'alice')
  await first.close()
  t.teardown(() => { try { process.kill(-pid, 'SIGKILL') } catch {} })

  const other = { name: 'other', start: async () => { throw new Error('not used') }, poll: async () => 'stopped' as const, stop: async () => {} }
  const second = await startHub(t, { dataDir: first.dataDir, config: { allowRoot: true }, deps: { spawner: other } })
  t.equal(second.hub.servers.status('alice'), undefined, 'forgotten at adoption')
  t.ok(await until(() => serverCredentials(second.hub, 'alice') === 0, 5000), 'its API token is revoked')
})
