import t from 'tap'
import { hashPassword, verifyPassword, needsRehash, parsePasswordHash, passwordProblem, checkPasswordPolicy, PasswordPolicyError, PasswordHashError } from '../../src/auth/passwords.ts'

const FAST = { ln: 10, r: 8, p: 1 }

t.test('a hash verifies its password and not another', async (t) => {
  const hash = await hashPassword('correct horse battery', FAST)
  t.match(hash, /^scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/)
  t.equal(await verifyPassword('correct horse battery', hash), true)
  t.equal(await verifyPassword('correct horse batterY', hash), false)
  t.equal(await verifyPassword('', hash), false)
})

t.test('each hash has its own salt', async (t) => {
  const a = await hashPassword('same password', FAST)
  const b = await hashPassword('same password', FAST)
  t.not(a, b)
})

t.test('the default parameters work (the real cost)', async (t) => {
  const hash = await hashPassword('default params pw')
  t.match(hash, /^scrypt\$ln=15,r=8,p=1\$/)
  t.equal(await verifyPassword('default params pw', hash), true)
})

t.test('passwords are NFKC-normalised', async (t) => {
  const hash = await hashPassword('ｐａｓｓｗｏｒｄ１', FAST)
  t.equal(await verifyPassword('password1', hash), true)
})

t.test('weaker stored parameters ask for a re-hash', async (t) => {
  const hash = await hashPassword('pw pw pw pw', FAST)
  t.equal(needsRehash(hash, { ln: 15, r: 8, p: 1 }), true)
  t.equal(needsRehash(hash, FAST), false)
})

t.test('malformed or hostile stored hashes are refused', async (t) => {
  t.throws(() => parsePasswordHash('plain'), PasswordHashError)
  t.throws(() => parsePasswordHash('bcrypt$x$y$z'), PasswordHashError)
  t.throws(() => parsePasswordHash('scrypt$ln=30,r=8,p=1$c2FsdHNhbHQ=$a2V5a2V5a2V5a2V5a2V5a2V5'), /outside the accepted range/)
  t.throws(() => parsePasswordHash('scrypt$ln=10,r=8,p=1$$'), /truncated/)
  await t.rejects(verifyPassword('x', 'nonsense'), PasswordHashError)
})

t.test('password policy: minimum length with a clear message', async (t) => {
  t.equal(passwordProblem('long enough', 8), null)
  t.match(passwordProblem('short', 8), /5 characters long; it must have at least 8/)
  t.throws(() => checkPasswordPolicy('short'), PasswordPolicyError)
  t.throws(() => checkPasswordPolicy('x'.repeat(2000)), /longer than 1024/)
  t.doesNotThrow(() => checkPasswordPolicy('ëëëëëëëë'), 'counts characters, not bytes')
})
