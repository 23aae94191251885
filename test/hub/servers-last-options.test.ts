/**
 * A start without options reuses the options of the server's last start, as
 * JupyterHub does: Start on the home page, POST …/server without a body, an
 * admin's Start, a named server started again. Options given (the form, an
 * API body, `{}` included) become the new last ones; the options form shows
 * them; options that no longer fit a changed form fall back to its defaults;
 * a user deleted and created again does not inherit them.
 */
import t from 'tap'
import { addToken, addUser, call } from '../helpers/hub-context.ts'
import { browserFor, serversHub, tinyCmd, until, xsrfIn } from './servers-hub.ts'
import type { Browser } from '../helpers/cookie-jar.ts'
import type { OptionsFormSpec } from '../../src/spawn/spawner.ts'

const FORM: OptionsFormSpec = { fields: [
  { name: 'memory', label: 'Memory', type: 'select', choices: [{ value: '1G', label: '1 GB' }, { value: '2G', label: '2 GB' }], default: '1G' },
  { name: 'cpus', label: 'CPUs', type: 'number', min: 1, max: 4, step: 1, default: 1 },
] }

async function spawnerWithForm(): Promise<{ spawner: object; setForm(form: OptionsFormSpec): void }> {
  const { processSpawner } = await import('../../src/spawn/spawners/process.ts')
  let form = FORM
  const spawner = { ...processSpawner({ cmd: tinyCmd(), allowRoot: true }), name: 'process', optionsForm: () => form }
  return { spawner, setForm: (next) => { form = next } }
}

async function post(b: Browser, path: string, fields: Record<string, string>): Promise<Response> {
  const page = await (await b.fetch(path)).text()
  return b.fetch(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _xsrf: xsrfIn(page), ...fields }).toString() })
}

t.test('the default server: the form sets the options, Start and the API without a body reuse them, {} resets them', async (t) => {
  const { spawner, setForm } = await spawnerWithForm()
  const h = await serversHub(t, { deps: { spawner: spawner as never } })
  const alice = await browserFor(t, h, 'alice')
  const { token } = await addToken(h.hub, 'admin')
  const options = (): unknown => h.hub.servers.status('alice')?.userOptions
  const stop = async (): Promise<void> => { t.equal(await h.hub.servers.stop('alice'), true) }

  t.equal((await post(alice, '/hub/spawn/alice', { memory: '2G', cpus: '3' })).status, 303, 'the options form')
  t.ok(await until(() => h.hub.servers.status('alice')?.ready === true))
  t.same(options(), { memory: '2G', cpus: 3 })
  await stop()

  const home = await (await alice.fetch('/hub/home')).text()
  t.match(home, /<option value="2G" selected>/, 'the form shows the last options again')
  t.match(home, /name="cpus" type="number"[^>]*value="3"/)

  // A Start button without the form's fields (as the home page's for a named server, or a script).
  t.equal((await post(alice, '/hub/spawn/alice', {})).status, 303)
  t.ok(await until(() => h.hub.servers.status('alice')?.ready === true))
  t.same(options(), { memory: '2G', cpus: 3 }, 'Start without options: the last ones')
  await stop()

  t.equal((await call(h.url, 'POST', '/users/alice/server', { token })).status, 201)
  t.same(options(), { memory: '2G', cpus: 3 }, 'POST without a body: the last ones')
  await stop()

  t.equal((await call(h.url, 'POST', '/users/alice/server', { token, body: { cpus: 4 } })).status, 201)
  t.same(options(), { memory: '1G', cpus: 4 }, 'a body sets new options (unset fields take the defaults)')
  await stop()
  t.equal((await call(h.url, 'POST', '/users/alice/server', { token, body: {} })).status, 201)
  t.same(options(), { memory: '1G', cpus: 1 }, '{} is options too: the defaults')
  await stop()
  t.equal((await call(h.url, 'POST', '/users/alice/server', { token })).status, 201)
  t.same(options(), { memory: '1G', cpus: 1 }, 'and they are the last ones now')
  await stop()

  // The admin page's Start (no options) reuses them too.
  t.equal((await call(h.url, 'POST', '/users/alice/server', { token, body: { memory: '2G' } })).status, 201)
  await stop()
  const admin = await browserFor(t, h, 'admin')
  const adminPage = await (await admin.fetch('/hub/admin')).text()
  const started = await admin.fetch('/hub/admin/start', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _xsrf: xsrfIn(adminPage), name: 'alice', back: '/hub/admin' }).toString() })
  t.ok(started.status < 400, `admin Start answered ${started.status}`)
  t.ok(await until(() => h.hub.servers.status('alice')?.ready === true))
  t.same(options(), { memory: '2G', cpus: 1 }, 'the admin\'s Start: the last ones')
  await stop()

  // The form changed since: 2G is gone, so the last options no longer fit → the defaults.
  setForm({ fields: [{ name: 'memory', label: 'Memory', type: 'select', choices: [{ value: '1G', label: '1 GB' }, { value: '4G', label: '4 GB' }], default: '4G' }] })
  t.equal((await call(h.url, 'POST', '/users/alice/server', { token })).status, 201)
  t.same(options(), { memory: '4G' }, 'options that no longer fit the form: its defaults')
  await stop()
})

t.test('a named server started again without options gets its own last ones; a re-created user inherits nothing', async (t) => {
  const { spawner } = await spawnerWithForm()
  const h = await serversHub(t, { config: { allowNamedServers: true }, deps: { spawner: spawner as never } })
  await addUser(h.hub, 'bob')
  const { token } = await addToken(h.hub, 'admin')
  t.equal((await call(h.url, 'POST', '/users/bob/servers/big', { token, body: { memory: '2G', cpus: 4 } })).status, 201)
  t.equal((await call(h.url, 'POST', '/users/bob/server', { token, body: { cpus: 2 } })).status, 201)
  await h.hub.servers.stop('bob', 'big')
  await h.hub.servers.stop('bob')
  t.equal((await call(h.url, 'POST', '/users/bob/servers/big', { token })).status, 201)
  t.same(h.hub.servers.status('bob', 'big')?.userOptions, { memory: '2G', cpus: 4 }, 'the named server\'s own last options')
  t.equal((await call(h.url, 'POST', '/users/bob/server', { token })).status, 201)
  t.same(h.hub.servers.status('bob')?.userOptions, { memory: '1G', cpus: 2 }, 'the default server\'s own')
  await h.hub.servers.stop('bob', 'big')
  await h.hub.servers.stop('bob')

  t.equal((await call(h.url, 'DELETE', '/users/bob', { token })).status, 204)
  await addUser(h.hub, 'bob')
  t.equal((await call(h.url, 'POST', '/users/bob/server', { token })).status, 201)
  t.same(h.hub.servers.status('bob')?.userOptions, { memory: '1G', cpus: 1 }, 'a new bob starts with the defaults')
  t.equal(h.hub.servers.lastOptions('bob', 'big'), undefined, 'and knows no named server of the old bob')
  await h.hub.servers.stop('bob')
})
