import t from 'tap'
import { LocalAuthenticator } from '../../src/auth/authenticators/local.ts'
import type { AuthRequest } from '../../src/auth/authenticator.ts'
import { emptyHubState, hubReducer, type HubOp, type HubState } from '../../src/auth/records.ts'
import { memoryStore } from '../../src/store/memory-store.ts'
import { parsePasswordHash } from '../../src/auth/passwords.ts'

const FAST = { ln: 10, r: 8, p: 1 }
const T0 = Date.UTC(2026, 0, 1)

function setup(options: { allowSignup?: boolean; signupNeedsApproval?: boolean; scrypt?: typeof FAST } = {}) {
  const store = memoryStore<HubState, HubOp>({ initial: emptyHubState, apply: hubReducer })
  const ops: HubOp[] = []
  const auth = new LocalAuthenticator({
    state: () => store.state,
    commit: async (op) => {
      ops.push(op)
      await store.commit(op)
    },
    now: () => T0,
    scrypt: FAST,
    ...options,
  })
  return { store, auth, ops }
}

function login(username: unknown, password: unknown): AuthRequest {
  return { url: new URL('http://hub/hub/login'), method: 'POST', headers: {}, remoteAddress: '127.0.0.1', form: { username, password } as Record<string, string> }
}

t.test('an admin-created user logs in with the right password only', async (t) => {
  const { auth } = setup()
  await auth.createUser('Alice', { password: 'correct horse', admin: true, groups: ['staff'] })
  t.same(await auth.authenticate(login('alice', 'correct horse')), { name: 'alice', admin: true, groups: ['staff'] })
  t.same(await auth.authenticate(login(' ALICE ', 'correct horse')), { name: 'alice', admin: true, groups: ['staff'] }, 'name normalised')
  t.equal(await auth.authenticate(login('alice', 'wrong horse')), null)
  t.equal(await auth.authenticate(login('nobody', 'correct horse')), null, 'unknown user')
  t.equal(await auth.authenticate(login('../etc', 'correct horse')), null, 'bad name')
  t.equal(await auth.authenticate(login(undefined, 'x')), null, 'missing field')
  t.equal(auth.kind, 'form')
  t.equal(auth.name, 'local')
})

t.test('a user without a password cannot log in locally', async (t) => {
  const { auth } = setup()
  await auth.createUser('bob')
  t.equal(await auth.authenticate(login('bob', '')), null)
  t.equal(await auth.authenticate(login('bob', 'anything at all')), null)
})

t.test('unknown users cost as much time as known ones (dummy hash)', async (t) => {
  const { auth } = setup({ scrypt: { ln: 14, r: 8, p: 1 } })
  await auth.createUser('alice', { password: 'correct horse' })
  await auth.authenticate(login('ghost', 'x')) // computes the dummy hash once
  const time = async (name: string) => {
    const start = performance.now()
    for (let i = 0; i < 3; i++) await auth.authenticate(login(name, 'wrong password'))
    return performance.now() - start
  }
  const known = await time('alice')
  const unknown = await time('ghost')
  t.comment(`known ${known.toFixed(0)} ms, unknown ${unknown.toFixed(0)} ms`)
  // Without the dummy hash an unknown name would answer in well under 1% of the time.
  t.ok(unknown > known * 0.3, 'an unknown name is not answered quickly')
})

t.test('self-signup creates an unapproved user that cannot log in until approved', async (t) => {
  const { auth, store } = setup({ allowSignup: true })
  const rec = await auth.signup('Newbie', 'long enough pw')
  t.equal(rec.approved, false)
  t.equal(store.state.users.newbie?.approved, false)
  await t.rejects(auth.authenticate(login('newbie', 'long enough pw')), { code: 'PENDING_APPROVAL', status: 403, message: /waiting for an administrator/ })
  t.equal(await auth.authenticate(login('newbie', 'wrong')), null, 'pending status is only revealed with the right password')
  await auth.approve('newbie')
  t.match(await auth.authenticate(login('newbie', 'long enough pw')), { name: 'newbie' })
  await t.rejects(auth.signup('newbie', 'another password'), { code: 'USER_EXISTS', status: 409 })
  await t.rejects(auth.signup('x/y', 'long enough pw'), { code: 'BAD_USER_NAME' })
  await t.rejects(auth.signup('shorty', 'short'), { code: 'PASSWORD_POLICY', message: /at least 8/ })
  await t.rejects(auth.approve('ghost'), { code: 'NO_SUCH_USER', status: 404 })
})

t.test('signup is refused when disabled, and can skip approval when configured', async (t) => {
  await t.rejects(setup().auth.signup('a', 'long enough pw'), { code: 'SIGNUP_DISABLED', status: 403 })
  const { auth } = setup({ allowSignup: true, signupNeedsApproval: false })
  await auth.signup('open', 'long enough pw')
  t.match(await auth.authenticate(login('open', 'long enough pw')), { name: 'open' })
})

t.test('changing a password needs the old one and ends other sessions', async (t) => {
  const { auth, store } = setup()
  await auth.createUser('alice', { password: 'first password' })
  const generation = store.state.users.alice!.sessionGeneration
  await t.rejects(auth.changePassword('alice', 'not the password', 'second password'), { code: 'WRONG_PASSWORD', status: 403 })
  await t.rejects(auth.changePassword('alice', 'first password', 'short'), { code: 'PASSWORD_POLICY' })
  await t.rejects(auth.changePassword('ghost', 'first password', 'second password'), { code: 'WRONG_PASSWORD' })
  await auth.changePassword('alice', 'first password', 'second password')
  t.equal(await auth.authenticate(login('alice', 'first password')), null)
  t.match(await auth.authenticate(login('alice', 'second password')), { name: 'alice' })
  t.equal(store.state.users.alice!.sessionGeneration, generation + 1, 'generation bumped')
  await auth.setPassword('alice', 'third password')
  t.match(await auth.authenticate(login('alice', 'third password')), { name: 'alice' })
  await t.rejects(auth.setPassword('ghost', 'third password'), { code: 'NO_SUCH_USER' })
})

t.test('minimum length is configurable', async (t) => {
  const store = memoryStore<HubState, HubOp>({ initial: emptyHubState, apply: hubReducer })
  const auth = new LocalAuthenticator({ state: () => store.state, commit: (op) => store.commit(op), scrypt: FAST, minPasswordLength: 12 })
  await t.rejects(auth.createUser('a', { password: 'elevenchars' }), { message: /at least 12/ })
  await auth.createUser('a', { password: 'twelve chars' })
  await t.rejects(auth.createUser('a'), { code: 'USER_EXISTS' })
})

t.test('a hash made with weaker parameters is upgraded at the next login', async (t) => {
  const { auth, store } = setup()
  await auth.createUser('alice', { password: 'correct horse' })
  const stronger = new LocalAuthenticator({ state: () => store.state, commit: (op) => store.commit(op), scrypt: { ln: 11, r: 8, p: 1 } })
  t.match(await stronger.authenticate(login('alice', 'correct horse')), { name: 'alice' })
  t.equal(parsePasswordHash(store.state.users.alice!.passwordHash!).params.ln, 11)
  t.match(await stronger.authenticate(login('alice', 'correct horse')), { name: 'alice' })
})
