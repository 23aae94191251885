import t from 'tap'
import { mkdtemp, rm, writeFile, unlink, utimes } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { accessRules, decideLogin, parseAllowlist, AllowlistFile } from '../../src/auth/access-rules.ts'

t.test('allowed users and groups let people in; others are refused with a message', async (t) => {
  const rules = accessRules({ allowedUsers: ['Alice'], allowedGroups: ['physics'] })
  t.same(decideLogin({ name: 'ALICE' }, rules), { allowed: true, name: 'alice', admin: false, groups: [] }, 'names normalised on both sides')
  t.same(decideLogin({ name: 'carol', groups: ['physics'] }, rules), { allowed: true, name: 'carol', admin: false, groups: ['physics'] })
  const refused = decideLogin({ name: 'mallory', groups: ['chemistry'] }, rules)
  t.same(refused, { allowed: false, reason: 'not-allowed', message: "User 'mallory' is not allowed to use this hub. Ask an administrator to add you." })
})

t.test('admin users and admin groups are admins and always allowed', async (t) => {
  const rules = accessRules({ allowedUsers: ['alice'], adminUsers: ['root'], adminGroups: ['ops'] })
  t.same(decideLogin({ name: 'root' }, rules), { allowed: true, name: 'root', admin: true, groups: [] })
  t.same(decideLogin({ name: 'olga', groups: ['ops'] }, rules), { allowed: true, name: 'olga', admin: true, groups: ['ops'] })
  t.same(decideLogin({ name: 'alice', admin: true }, rules), { allowed: true, name: 'alice', admin: true, groups: [] }, 'admin from the authenticator is honoured')
  t.equal(decideLogin({ name: 'alice', admin: false }, rules).allowed, true)
})

t.test('with no rules at all nobody gets in unless allowAll is set', async (t) => {
  t.match(decideLogin({ name: 'alice' }, accessRules({})), { allowed: false, reason: 'nobody-allowed', message: /allowed users, allowed groups, an allowlist file or allow all/ })
  t.match(decideLogin({ name: 'alice' }, accessRules({ allowAll: true })), { allowed: true, name: 'alice' })
})

t.test('a bad user name from the identity provider is refused before anything else', async (t) => {
  t.match(decideLogin({ name: '../root' }, accessRules({ allowAll: true })), { allowed: false, reason: 'bad-name', message: /cannot use/ })
  t.match(decideLogin({ name: 'a b' }, accessRules({ adminUsers: ['a b'] })), { allowed: false, reason: 'bad-name' })
})

t.test('allowlist file format: one name per line, comments, problems reported', async (t) => {
  const { names, problems } = parseAllowlist('alice\n  Bob  # the boss\n\n# comment\nbad/name\r\ncarol@example.org\n')
  t.same([...names], ['alice', 'bob', 'carol@example.org'])
  t.equal(problems.length, 1)
  t.match(problems[0], /^line 5: user name contains '\/'/)
})

t.test('the allowlist file is re-read when it changes; removing a name blocks the next login', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'monohub-allowlist-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'allowed-users.txt')
  await writeFile(file, 'alice\nbob\n')
  const list = new AllowlistFile(file)
  const rules = accessRules({ adminUsers: ['root'] })
  const decide = (name: string) => decideLogin({ name }, { ...rules, allowlist: list.names() }).allowed
  t.equal(decide('bob'), true)
  t.equal(decide('carol'), false)
  await writeFile(file, 'alice\ncarol\n') // same size as before: the mtime/inode stamp catches it
  await utimes(file, new Date(), new Date(Date.now() + 5000))
  t.equal(decide('bob'), false, 'bob removed: refused')
  t.equal(decide('carol'), true, 'carol added: allowed')
  t.same(list.problems, [])
  await unlink(file)
  t.equal(decide('alice'), false, 'file gone: fails closed')
  t.equal(decide('root'), true, 'admins still get in')
  t.match(list.problems[0], /cannot be read \(ENOENT\)/)
  await writeFile(file, 'alice\n../x\n')
  t.equal(decide('alice'), true, 'file back: read again')
  t.match(list.problems[0], /line 2/)
})

t.test('an unchanged allowlist file is not re-read (one stat per check)', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'monohub-allowlist-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'list')
  await writeFile(file, 'alice\n')
  const list = new AllowlistFile(file)
  const first = list.names()
  t.equal(list.names(), first, 'same Set object: not parsed again')
})
