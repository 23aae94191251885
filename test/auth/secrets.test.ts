import t from 'tap'
import { mkdtemp, rm, stat, chmod, readFile, writeFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadSecrets, rotateCookieKeys, cookieKeysFromEnv, SecretsError } from '../../src/auth/secrets.ts'

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'monohub-secrets-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('first start creates secrets.json with mode 0600; the next start reads the same keys', async (t) => {
  const dir = await tempDir(t)
  const first = await loadSecrets(dir)
  const file = path.join(dir, 'secrets.json')
  t.equal(first.file, file)
  t.equal(first.cookieKeysFrom, 'file')
  t.equal(first.cookieKeys.length, 1)
  t.ok(first.cookieKeys[0]!.length >= 32)
  t.ok(first.csrfKey.length >= 32)
  t.not(first.csrfKey, first.cookieKeys[0])
  t.equal((await stat(file)).mode & 0o777, 0o600)
  const again = await loadSecrets(dir)
  t.same(again.cookieKeys, first.cookieKeys)
  t.equal(again.csrfKey, first.csrfKey)
  t.same((await readdir(dir)).filter((f) => f.endsWith('.tmp')), [], 'no temp files left behind')
})

t.test('two processes starting at once end up with the same keys', async (t) => {
  const dir = await tempDir(t)
  const [a, b, c] = await Promise.all([loadSecrets(dir), loadSecrets(dir), loadSecrets(dir)])
  t.same(a.cookieKeys, b.cookieKeys)
  t.same(a.cookieKeys, c.cookieKeys)
})

t.test('a secrets file readable by group or others is refused with the fix', async (t) => {
  const dir = await tempDir(t)
  await loadSecrets(dir)
  const file = path.join(dir, 'secrets.json')
  for (const mode of [0o644, 0o640, 0o604, 0o660]) {
    await chmod(file, mode)
    await t.rejects(loadSecrets(dir), { code: 'SECRETS_FILE_MODE', message: new RegExp(`mode ${mode.toString(8)}.*chmod 600`) }, `mode ${mode.toString(8)} refused`)
  }
  await chmod(file, 0o600)
  await t.resolves(loadSecrets(dir))
})

t.test('a corrupt secrets file is refused and not overwritten', async (t) => {
  const dir = await tempDir(t)
  const file = path.join(dir, 'secrets.json')
  await writeFile(file, '{"cookieKeys": [', { mode: 0o600 })
  await t.rejects(loadSecrets(dir), { code: 'SECRETS_FILE_CORRUPT' })
  await writeFile(file, '{"cookieKeys": ["short"], "csrfKey": "x"}', { mode: 0o600 })
  await t.rejects(loadSecrets(dir), { code: 'SECRETS_FILE_CORRUPT', message: /cookieKeys/ })
  t.equal(await readFile(file, 'utf8'), '{"cookieKeys": ["short"], "csrfKey": "x"}')
})

t.test('MONOHUB_COOKIE_SECRETS overrides the cookie keys: first signs, all verify', async (t) => {
  const dir = await tempDir(t)
  const k1 = 'a'.repeat(40)
  const k2 = 'b'.repeat(40)
  const s = await loadSecrets(dir, { MONOHUB_COOKIE_SECRETS: ` ${k1}, ${k2} ` })
  t.same(s.cookieKeys, [k1, k2])
  t.equal(s.cookieKeysFrom, 'env')
  const s2 = await loadSecrets(dir, { MONOHUB_COOKIE_SECRET: k2 })
  t.same(s2.cookieKeys, [k2])
  const fromOtherDir = await loadSecrets(await tempDir(t), { MONOHUB_COOKIE_SECRETS: `${k1},${k2}` })
  t.equal(fromOtherDir.csrfKey, s.csrfKey, 'nodes sharing cookie keys share the CSRF key')
})

t.test('short env secrets are refused with a way to make a good one', async (t) => {
  t.throws(() => cookieKeysFromEnv({ MONOHUB_COOKIE_SECRET: 'hunter2' }), { code: 'WEAK_SECRET', message: /at least 32.*openssl rand/ })
  t.equal(cookieKeysFromEnv({}), null)
  t.equal(cookieKeysFromEnv({ MONOHUB_COOKIE_SECRETS: '  ' }), null)
})

t.test('rotating puts a new key first and keeps the old ones to verify', async (t) => {
  const dir = await tempDir(t)
  const before = await loadSecrets(dir)
  const keys = await rotateCookieKeys(dir, 2)
  t.equal(keys.length, 2)
  t.equal(keys[1], before.cookieKeys[0])
  const after = await loadSecrets(dir)
  t.same(after.cookieKeys, keys)
  t.equal(after.csrfKey, before.csrfKey)
  t.equal((await stat(path.join(dir, 'secrets.json'))).mode & 0o777, 0o600)
  const third = await rotateCookieKeys(dir, 2)
  t.equal(third.length, 2, 'keeps at most `keep` keys')
  await t.rejects(rotateCookieKeys(await tempDir(t)), SecretsError)
})
