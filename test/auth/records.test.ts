import t from 'tap'
import { emptyHubState, hubReducer, newUserRecord, generationOf, type HubOp, type HubState } from '../../src/auth/records.ts'
import { createToken } from '../../src/auth/tokens.ts'
import { memoryStore } from '../../src/store/memory-store.ts'

const T0 = Date.UTC(2026, 0, 1)

t.test('users: put, set password, bump generation, delete (with their tokens)', async (t) => {
  const store = memoryStore<HubState, HubOp>({ initial: emptyHubState, apply: hubReducer })
  await store.commit({ op: 'user.put', user: newUserRecord('alice', T0, { admin: true, groups: ['g'] }) })
  await store.commit({ op: 'user.put', user: newUserRecord('bob', T0) })
  t.same({ ...store.state.users.alice }, { name: 'alice', admin: true, approved: true, groups: ['g'], sessionGeneration: T0, created: T0 })
  await store.commit({ op: 'user.setPassword', name: 'alice', passwordHash: 'scrypt$x' })
  await store.commit({ op: 'user.bumpGeneration', name: 'alice' })
  t.equal(store.state.users.alice?.passwordHash, 'scrypt$x')
  t.equal(generationOf(store.state)('alice'), T0 + 1)
  t.equal(generationOf(store.state)('nobody'), undefined)
  const a = createToken({ owner: 'alice', now: T0 })
  const b = createToken({ owner: 'bob', now: T0 })
  await store.commit({ op: 'token.put', token: a.record })
  await store.commit({ op: 'token.put', token: b.record })
  await store.commit({ op: 'user.delete', name: 'alice' })
  t.notOk('alice' in store.state.users)
  t.same(Object.keys(store.state.tokens), [b.record.id], "alice's tokens went with her")
})

t.test('a user deleted and created again does not accept the old account\'s cookies', async (t) => {
  const state = emptyHubState()
  hubReducer(state, { op: 'user.put', user: newUserRecord('alice', T0) })
  const oldGeneration = generationOf(state)('alice')
  hubReducer(state, { op: 'user.delete', name: 'alice' })
  hubReducer(state, { op: 'user.put', user: newUserRecord('alice', T0 + 60_000) })
  t.not(generationOf(state)('alice'), oldGeneration)
})

t.test('tokens: put, touch (only forward), delete', async (t) => {
  const state = emptyHubState()
  const { record } = createToken({ owner: 'alice', now: T0 })
  hubReducer(state, { op: 'token.put', token: record })
  hubReducer(state, { op: 'token.touch', id: record.id, at: T0 + 10 })
  hubReducer(state, { op: 'token.touch', id: record.id, at: T0 + 5 })
  t.equal(state.tokens[record.id]?.lastUsed, T0 + 10, 'an older touch arriving late does not move it back')
  hubReducer(state, { op: 'token.delete', id: record.id })
  t.same(Object.keys(state.tokens), [])
})

t.test('ops on missing records are no-ops (journal replay must not fail)', async (t) => {
  const state = emptyHubState()
  for (const op of [
    { op: 'user.setPassword', name: 'ghost', passwordHash: 'h' },
    { op: 'user.bumpGeneration', name: 'ghost' },
    { op: 'user.delete', name: 'ghost' },
    { op: 'token.touch', id: 'tnope', at: 1 },
    { op: 'token.delete', id: 'tnope' },
    { op: 'from.the.future' },
  ] as HubOp[]) t.doesNotThrow(() => hubReducer(state, op))
  t.same(JSON.parse(JSON.stringify(state)), { users: {}, tokens: {} })
})

t.test('the reducer is deterministic and does not share objects with the op', async (t) => {
  const ops: HubOp[] = [
    { op: 'user.put', user: newUserRecord('alice', T0) },
    { op: 'user.bumpGeneration', name: 'alice' },
    { op: 'user.put', user: newUserRecord('bob', T0, { approved: false }) },
    { op: 'user.setPassword', name: 'bob', passwordHash: 'h' },
  ]
  const a = emptyHubState()
  const b = emptyHubState()
  for (const op of ops) hubReducer(a, op)
  for (const op of JSON.parse(JSON.stringify(ops)) as HubOp[]) hubReducer(b, op)
  t.same(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)))
  const put = ops[0] as Extract<HubOp, { op: 'user.put' }>
  t.equal(put.user.sessionGeneration, T0, 'the op itself is not changed by later ops')
})

t.test('user names like __proto__ are ordinary keys, also in a state loaded from JSON', async (t) => {
  for (const state of [emptyHubState(), JSON.parse('{"users":{},"tokens":{}}') as HubState]) {
    hubReducer(state, { op: 'user.put', user: newUserRecord('__proto__', T0) })
    hubReducer(state, { op: 'user.put', user: newUserRecord('constructor', T0) })
    t.equal(Object.getPrototypeOf(state.users), Object.getPrototypeOf(state.tokens), 'prototype untouched')
    t.same(Object.keys(state.users).sort(), ['__proto__', 'constructor'])
    hubReducer(state, { op: 'user.bumpGeneration', name: '__proto__' })
    t.equal(generationOf(state)('__proto__'), T0 + 1)
    t.equal(generationOf(state)('toString'), undefined, 'inherited names are not users')
  }
})
