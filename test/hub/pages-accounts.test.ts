import t from 'tap'
import { startHub, logIn, formXsrf } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'

async function adminBrowser(h: { url: string; adminPassword: string | undefined }): Promise<Browser> {
  const b = new Browser(h.url)
  const { response } = await logIn(b, 'admin', h.adminPassword!)
  if (response.status !== 200) throw new Error(`admin login failed: ${response.status}`)
  return b
}

t.test('an admin creates a user on /hub/admin and that user logs in and sees the users list is admin-only', async (t) => {
  const h = await startHub(t)
  const admin = await adminBrowser(h)
  const xsrf = await formXsrf(admin, '/hub/admin')
  const created = await admin.submit('/hub/admin/users', { name: 'Alice', password: 'alice-password-1', _xsrf: xsrf })
  t.equal(created.response.status, 201)
  t.match(await created.response.text(), /User &#39;alice&#39; is created/)
  const listing = await (await admin.fetch('/hub/admin')).text()
  t.match(listing, /<td>alice/)
  const alice = new Browser(h.url)
  const { response } = await logIn(alice, 'alice', 'alice-password-1')
  t.equal(response.status, 200)
  t.match(await response.text(), /Hello, alice/)
  const forbidden = await alice.fetch('/hub/admin')
  t.equal(forbidden.status, 403)
  t.match(await forbidden.text(), /not an administrator/)
  const aliceXsrf = await formXsrf(alice, '/hub/token')
  const sneaky = await alice.submit('/hub/admin/users', { name: 'mallory', password: 'mallory-password', _xsrf: aliceXsrf })
  t.equal(sneaky.response.status, 403, 'a non-admin cannot create users')
  t.notOk(Object.hasOwn(h.hub.store.state.users, 'mallory'))
})

t.test('a user name that is not allowed is refused with a reason, and nothing is created', async (t) => {
  const h = await startHub(t)
  const admin = await adminBrowser(h)
  for (const bad of ['../etc', 'a/b', '-x', 'x'.repeat(80), 'tab\tname']) {
    const xsrf = await formXsrf(admin, '/hub/admin')
    const res = await admin.submit('/hub/admin/users', { name: bad, password: 'long-enough-pw', _xsrf: xsrf })
    t.equal(res.response.status, 400, JSON.stringify(bad))
    t.match(await res.response.text(), /user name/)
  }
  t.same(Object.keys(h.hub.store.state.users), ['admin'])
})

t.test('every logged-in form refuses a post without or with a wrong _xsrf (403)', async (t) => {
  const h = await startHub(t, { settings: { allowSignup: true } })
  const admin = await adminBrowser(h)
  const forms: Array<[string, Record<string, string>]> = [
    ['/hub/logout', {}],
    ['/hub/change-password', { old_password: h.adminPassword!, new_password: 'another-password' }],
    ['/hub/token', { note: 'x' }],
    ['/hub/token/revoke', { id: 'tnothing' }],
    ['/hub/admin/users', { name: 'bob', password: 'bob-password-1' }],
    ['/hub/admin/approve', { name: 'bob' }],
  ]
  for (const [path, fields] of forms) {
    const missing = await admin.submit(path, fields)
    t.equal(missing.response.status, 403, `${path} without _xsrf`)
    const wrong = await admin.submit(path, { ...fields, _xsrf: 'AAAA.BBBB' })
    t.equal(wrong.response.status, 403, `${path} with a wrong _xsrf`)
  }
  const signup = new Browser(h.url)
  await signup.fetch('/hub/signup')
  t.equal((await signup.submit('/hub/signup', { username: 'eve', password: 'eve-password-1' })).response.status, 403, '/hub/signup without _xsrf')
  t.notOk(Object.hasOwn(h.hub.store.state.users, 'bob'))
  t.notOk(Object.hasOwn(h.hub.store.state.users, 'eve'))
  t.ok(admin.cookies.has('monohub-session'), 'still logged in: no form did anything')
})

t.test('logout ends this browser\'s session; the old cookie no longer works after "log out everywhere"', async (t) => {
  const h = await startHub(t)
  const one = await adminBrowser(h)
  const two = await adminBrowser(h)
  const oldCookie = one.cookies.get('monohub-session')!
  const xsrf = await formXsrf(one, '/hub/logout')
  const out = await one.submit('/hub/logout', { _xsrf: xsrf })
  t.equal(out.response.status, 200)
  t.match(await out.response.text(), /You are logged out/)
  t.notOk(one.cookies.has('monohub-session'), 'cookie cleared')
  t.equal((await two.fetch('/hub/home')).status, 200, 'the other browser is still logged in')

  const xsrfTwo = await formXsrf(two, '/hub/home')
  const everywhere = await two.submit('/hub/logout', { _xsrf: xsrfTwo, everywhere: '1' })
  t.match(await everywhere.response.text(), /logged out in every browser/)
  const replay = await fetch(`${h.url}/hub/home`, { headers: { cookie: `monohub-session=${oldCookie}` }, redirect: 'manual' })
  t.equal(replay.status, 302, 'a cookie from before "log out everywhere" is refused')
  t.match(replay.headers.get('location') ?? '', /^\/hub\/login/)
})

t.test('change password: needs the current one, ends other sessions, keeps this one, the new password works', async (t) => {
  const h = await startHub(t)
  const me = await adminBrowser(h)
  const other = await adminBrowser(h)
  let xsrf = await formXsrf(me, '/hub/change-password')
  const wrong = await me.submit('/hub/change-password', { _xsrf: xsrf, old_password: 'nope', new_password: 'new-password-123' })
  t.equal(wrong.response.status, 403)
  t.match(await wrong.response.text(), /current password is not right/)
  xsrf = await formXsrf(me, '/hub/change-password')
  const short = await me.submit('/hub/change-password', { _xsrf: xsrf, old_password: h.adminPassword!, new_password: 'short' })
  t.equal(short.response.status, 400)
  xsrf = await formXsrf(me, '/hub/change-password')
  const ok = await me.submit('/hub/change-password', { _xsrf: xsrf, old_password: h.adminPassword!, new_password: 'new-password-123' })
  t.equal(ok.response.status, 200)
  t.match(await ok.response.text(), /Your password is changed/)
  t.equal((await me.fetch('/hub/home')).status, 200, 'this browser stays logged in')
  t.equal((await other.fetch('/hub/home')).status, 302, 'other sessions ended')
  t.equal((await logIn(new Browser(h.url), 'admin', h.adminPassword!)).response.status, 403, 'the old password no longer works')
  t.equal((await logIn(new Browser(h.url), 'admin', 'new-password-123')).response.status, 200, 'the new one does')
})

t.test('sign-up → waits for approval → the admin approves → the user logs in', async (t) => {
  const h = await startHub(t, { settings: { allowSignup: true } })
  const carol = new Browser(h.url)
  t.match(await (await carol.fetch('/hub/login')).text(), /href="\/hub\/signup"/, 'the login page links to sign-up')
  const xsrf = await formXsrf(carol, '/hub/signup')
  const signedUp = await carol.submit('/hub/signup', { username: 'carol', password: 'carol-password', _xsrf: xsrf })
  t.equal(signedUp.response.status, 201)
  t.match(await signedUp.response.text(), /waiting for an administrator(&#39;|')s approval/)
  const early = await logIn(carol, 'carol', 'carol-password')
  t.equal(early.response.status, 403)
  t.match(await early.response.text(), /waiting for an administrator/)
  t.notOk(carol.cookies.has('monohub-session'))

  const admin = await adminBrowser(h)
  const page = await (await admin.fetch('/hub/admin')).text()
  t.match(page, /waiting for approval/)
  const approved = await admin.submit('/hub/admin/approve', { name: 'carol', _xsrf: await formXsrf(admin, '/hub/admin') })
  t.match(await approved.response.text(), /approved and can log in now/)
  const login = await logIn(carol, 'carol', 'carol-password')
  t.equal(login.response.status, 200)
  t.match(await login.response.text(), /Hello, carol/)
})

t.test('sign-up is off unless allowed', async (t) => {
  const h = await startHub(t)
  const res = await fetch(`${h.url}/hub/signup`)
  t.equal(res.status, 404)
  t.match(await res.text(), /Sign-up is not enabled/)
})

t.test('token page: a token is shown once, listed by prefix, works as an API token, and is gone after revoke', async (t) => {
  const h = await startHub(t)
  const admin = await adminBrowser(h)
  const xsrf = await formXsrf(admin, '/hub/token')
  const created = await admin.submit('/hub/token', { _xsrf: xsrf, note: 'my <script> note', scopes: 'read:users', expires_in: '3600' })
  t.equal(created.response.status, 201)
  const page = await created.response.text()
  const token = /<p class="secret" id="new-token">([^<]+)<\/p>/.exec(page)?.[1]
  t.ok(token?.startsWith('mh_'), 'the token is shown')
  t.match(page, /my &lt;script&gt; note/, 'the note is escaped')
  t.notMatch(page, /<script>/)
  const again = await (await admin.fetch('/hub/token')).text()
  t.notMatch(again, new RegExp(token!), 'not shown a second time')
  t.match(again, new RegExp(`${token!.slice(0, 7)}…`), 'listed by its prefix')
  const records = Object.values(h.hub.store.state.tokens)
  t.equal(records.length, 1)
  t.same(records[0]!.scopes, ['read:users'])
  t.ok(records[0]!.expiresAt !== undefined && records[0]!.expiresAt - records[0]!.created === 3600_000)
  t.notOk(JSON.stringify(h.hub.store.state).includes(token!), 'only the hash is stored')

  const badScope = await admin.submit('/hub/token', { _xsrf: await formXsrf(admin, '/hub/token'), scopes: 'fly:to-the-moon' })
  t.equal(badScope.response.status, 400)

  await admin.submit('/hub/admin/users', { name: 'erin', password: 'erin-password', _xsrf: await formXsrf(admin, '/hub/admin') })
  const erin = new Browser(h.url)
  t.equal((await logIn(erin, 'erin', 'erin-password')).response.status, 200)
  const beyond = await erin.submit('/hub/token', { _xsrf: await formXsrf(erin, '/hub/token'), scopes: 'admin:users' })
  t.equal(beyond.response.status, 403, 'a scope the user does not hold is refused, as by the API')
  t.match(await beyond.response.text(), /You do not hold admin:users/)
  t.equal(Object.keys(h.hub.store.state.tokens).length, 1, 'and no token is made')

  const revoked = await admin.submit('/hub/token/revoke', { _xsrf: await formXsrf(admin, '/hub/token'), id: records[0]!.id })
  t.equal(revoked.response.status, 200)
  t.match(await revoked.response.text(), /is revoked/)
  t.equal(Object.keys(h.hub.store.state.tokens).length, 0)
})

t.test("a user cannot revoke someone else's token", async (t) => {
  const h = await startHub(t)
  const admin = await adminBrowser(h)
  await admin.submit('/hub/admin/users', { name: 'dave', password: 'dave-password', _xsrf: await formXsrf(admin, '/hub/admin') })
  await admin.submit('/hub/token', { _xsrf: await formXsrf(admin, '/hub/token'), note: 'admin token' })
  const id = Object.keys(h.hub.store.state.tokens)[0]!
  const dave = new Browser(h.url)
  await logIn(dave, 'dave', 'dave-password')
  const res = await dave.submit('/hub/token/revoke', { _xsrf: await formXsrf(dave, '/hub/token'), id })
  t.equal(res.response.status, 404)
  t.ok(Object.hasOwn(h.hub.store.state.tokens, id))
})
