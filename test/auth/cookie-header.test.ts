import t from 'tap'
import { getCookie, serializeCookie } from '../../src/auth/cookie-header.ts'

t.test('getCookie finds a whole cookie name, not a suffix or a value', async (t) => {
  t.equal(getCookie(undefined, 's'), undefined)
  t.equal(getCookie('', 's'), undefined)
  t.equal(getCookie('s=1', 's'), '1')
  t.equal(getCookie('a=1; s=2', 's'), '2')
  t.equal(getCookie('a=1;s=2;b=3', 's'), '2', 'no space after ;')
  t.equal(getCookie('xs=1; s=2', 's'), '2', 'xs is not s')
  t.equal(getCookie('a=s=3; s=4', 's'), '4', 'inside another value is not a name')
  t.equal(getCookie('ss=1', 's'), undefined)
  t.equal(getCookie('s', 's'), undefined)
  t.equal(getCookie('s=', 's'), '')
  t.equal(getCookie('s="quoted"', 's'), 'quoted')
  t.equal(getCookie('s= padded ; a=1', 's'), 'padded')
})

t.test('serializeCookie writes secure defaults and refuses values a browser would mangle', async (t) => {
  t.equal(serializeCookie('n', 'v'), 'n=v; Path=/; HttpOnly; SameSite=Lax')
  t.equal(serializeCookie('n', 'v', { path: '/hub/', maxAge: 59.9, httpOnly: false, secure: true, sameSite: 'Strict' }), 'n=v; Path=/hub/; Max-Age=59; Secure; SameSite=Strict')
  t.equal(serializeCookie('n', 'v', { maxAge: -5 }), 'n=v; Path=/; Max-Age=0; HttpOnly; SameSite=Lax')
  t.throws(() => serializeCookie('bad name', 'v'), TypeError)
  t.throws(() => serializeCookie('n', 'a;b'), TypeError)
  t.throws(() => serializeCookie('n', 'a b'), TypeError)
  t.throws(() => serializeCookie('n', 'a,b'), TypeError)
  t.doesNotThrow(() => serializeCookie('n', 'abc.DEF_-+/='), 'base64 and base64url characters are fine')
})
