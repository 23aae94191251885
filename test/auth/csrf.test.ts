import t from 'tap'
import { createCsrfToken, verifyCsrfToken, sessionBinding, preLoginBinding, newPreLoginId, preLoginCookieHeader, CSRF_FORM_FIELD, CSRF_HEADER, PRE_LOGIN_COOKIE_NAME } from '../../src/auth/csrf.ts'

const KEY = 'csrf-key-'.padEnd(40, 'k')

t.test('a token made for a session verifies for that session only', async (t) => {
  const token = createCsrfToken(KEY, sessionBinding('sid-1'))
  t.equal(verifyCsrfToken(KEY, sessionBinding('sid-1'), token), true)
  t.equal(verifyCsrfToken(KEY, sessionBinding('sid-2'), token), false, 'another session')
  t.equal(verifyCsrfToken('other-key'.padEnd(40, 'o'), sessionBinding('sid-1'), token), false, 'another key')
  t.equal(verifyCsrfToken(KEY, preLoginBinding('sid-1'), token), false, 'a pre-login binding with the same value')
})

t.test('tokens differ on every page but all verify', async (t) => {
  const a = createCsrfToken(KEY, sessionBinding('s'))
  const b = createCsrfToken(KEY, sessionBinding('s'))
  t.not(a, b)
  t.ok(verifyCsrfToken(KEY, sessionBinding('s'), a))
  t.ok(verifyCsrfToken(KEY, sessionBinding('s'), b))
})

t.test('missing, malformed and tampered tokens are refused', async (t) => {
  const b = sessionBinding('s')
  const token = createCsrfToken(KEY, b)
  for (const bad of [undefined, null, '', 'abc', '.abc', token + 'x', 'x' + token, token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), token.replace(/.$/, (c) => (c === 'A' ? 'Q' : 'A')), 'a'.repeat(500), ['x'], 42]) {
    t.equal(verifyCsrfToken(KEY, b, bad), false, `refuses ${JSON.stringify(bad)?.slice(0, 40)}`)
  }
  // Every other spelling of the last character: some decode to the same bytes, none is accepted.
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
    const variant = token.slice(0, -1) + c
    if (variant !== token && verifyCsrfToken(KEY, b, variant)) t.fail(`accepted a variant ending in ${c}`)
  }
  const [nonce, mac] = token.split('.')
  t.equal(verifyCsrfToken(KEY, b, `${nonce}x.${mac}`), false, 'nonce changed')
})

t.test('the login form is protected before a session exists', async (t) => {
  const id = newPreLoginId()
  t.match(id, /^[A-Za-z0-9_-]{22}$/)
  const token = createCsrfToken(KEY, preLoginBinding(id))
  t.ok(verifyCsrfToken(KEY, preLoginBinding(id), token))
  t.notOk(verifyCsrfToken(KEY, preLoginBinding(newPreLoginId()), token), 'another browser')
  t.equal(preLoginCookieHeader(id, true), `${PRE_LOGIN_COOKIE_NAME}=${id}; Path=/hub/; HttpOnly; Secure; SameSite=Lax`)
})

t.test('names match JupyterHub', async (t) => {
  t.equal(CSRF_FORM_FIELD, '_xsrf')
  t.equal(CSRF_HEADER, 'x-xsrftoken')
})
