/**
 * `--config hub.mjs`: a JS module whose default export is the settings — and
 * which may hand over its own authenticator object, which JSON cannot hold.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadHubConfig } from '../../src/config/hub-config.ts'
import { startHub, logIn } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'

async function moduleFile(t: { teardown(fn: () => unknown): void }, source: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-config-module-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'hub.mjs')
  await writeFile(file, source)
  return file
}

const PIN_AUTHENTICATOR = `
export default {
  allowAll: true,
  minPasswordLength: 12,
  authenticator: {
    name: 'pin', kind: 'form',
    async authenticate(req) { return req.form?.password === 'open-sesame' ? { name: req.form.username } : null },
  },
}
`

t.test('a JS config module sets the settings and passes its own authenticator object, which logs people in', async (t) => {
  const file = await moduleFile(t, PIN_AUTHENTICATOR)
  const config = await loadHubConfig({ flags: {}, configFile: file, env: {}, cwd: process.cwd() })
  t.equal(config.minPasswordLength, 12, 'a plain setting from the module')
  t.equal(config.authenticator.kind, 'custom')
  const authenticator = config.authenticator.kind === 'custom' ? config.authenticator.authenticator : undefined
  t.equal(authenticator?.name, 'pin')

  const h = await startHub(t, { config: { allowAll: true, authenticator } })
  const wrong = await logIn(new Browser(h.url), 'zoe', 'not the pin')
  t.equal(wrong.response.status, 403, 'the module\'s authenticator refuses')
  const zoe = new Browser(h.url)
  const right = await logIn(zoe, 'Zoe', 'open-sesame')
  t.equal(right.response.status, 200)
  t.match(right.visited.at(-1), /\/hub\/home$/)
  t.ok(h.hub.store.state.users.zoe, 'the user is created with the normalised name')
})

t.test('a config module without a settings object, with an unknown key, or missing, is a clear error', async (t) => {
  const load = (configFile: string) => loadHubConfig({ flags: {}, configFile, env: {}, cwd: process.cwd() })
  await t.rejects(load(await moduleFile(t, 'export const x = 1\n')), { code: 'CONFIG_INVALID', message: /must export the settings object as its default export/ })
  await t.rejects(load(await moduleFile(t, 'export default { prot: 8000 }\n')), { code: 'CONFIG_INVALID', message: /unknown setting\(s\) 'prot'/ })
  await t.rejects(load(join(tmpdir(), 'monohub-no-such-dir', 'hub.mjs')), { code: 'CONFIG_INVALID', message: /cannot load config module .*no such file/ })
  await t.rejects(load(await moduleFile(t, 'export default { port: "abc" }\n')), { message: /port must be an integer 1–65535, got 'abc' \(from config module .*hub\.mjs, key 'port'\)/ })
})
