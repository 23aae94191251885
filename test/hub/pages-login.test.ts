import t from 'tap'
import { startHub, logIn, formXsrf, xsrfOf } from '../helpers/hub.ts'
import { Browser } from '../helpers/cookie-jar.ts'

t.test('the admin logs in with the printed password and lands on the home page', async (t) => {
  const h = await startHub(t)
  const b = new Browser(h.url)
  const { response, visited } = await logIn(b, 'admin', h.adminPassword!)
  t.equal(response.status, 200)
  t.equal(new URL(visited.at(-1)!).pathname, '/hub/home')
  t.match(await response.text(), /Hello, admin/)
  t.ok(b.cookies.has('monohub-session'))
})

t.test('the login form has the fields JupyterHub uses and the session cookie is HttpOnly and SameSite=Lax', async (t) => {
  const h = await startHub(t)
  const b = new Browser(h.url)
  const page = await (await b.fetch('/hub/login')).text()
  t.match(page, /<form method="post" action="\/hub\/login"/)
  t.match(page, /name="username"/)
  t.match(page, /name="password"/)
  t.match(page, /name="_xsrf"/)
  const xsrf = xsrfOf(page)
  const res = await b.fetch('/hub/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'admin', password: h.adminPassword!, _xsrf: xsrf }).toString() })
  t.equal(res.status, 302)
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('monohub-session='))!
  t.match(cookie, /HttpOnly/)
  t.match(cookie, /SameSite=Lax/)
  t.notMatch(cookie, /Secure/)
})

t.test('a wrong password is refused with 403 and the form again', async (t) => {
  const h = await startHub(t)
  const b = new Browser(h.url)
  const { response } = await logIn(b, 'admin', 'not the password')
  t.equal(response.status, 403)
  t.match(await response.text(), /Wrong user name or password/)
  t.notOk(b.cookies.has('monohub-session'))
  const unknown = await logIn(b, 'nobody', 'whatever1')
  t.equal(unknown.response.status, 403)
})

t.test('a login post without _xsrf, with a wrong one, or without the pre-login cookie is refused (403)', async (t) => {
  const h = await startHub(t)
  const b = new Browser(h.url)
  const xsrf = await formXsrf(b, '/hub/login')
  const post = (browser: Browser, fields: Record<string, string>) => browser.submit('/hub/login', fields)
  const missing = await post(b, { username: 'admin', password: h.adminPassword! })
  t.equal(missing.response.status, 403)
  t.match(await missing.response.text(), /_xsrf/)
  const wrong = await post(b, { username: 'admin', password: h.adminPassword!, _xsrf: xsrf.slice(0, -2) + 'AA' })
  t.equal(wrong.response.status, 403)
  const otherBrowser = new Browser(h.url)
  const stolen = await post(otherBrowser, { username: 'admin', password: h.adminPassword!, _xsrf: xsrf })
  t.equal(stolen.response.status, 403, 'a token made for another browser does not work')
  t.notOk(b.cookies.has('monohub-session'))
})

t.test('next= is followed only for local paths; every open-redirect form goes home instead', async (t) => {
  const h = await startHub(t)
  const hostile = ['//evil.example', '/\\evil.example', 'https://evil.example/', 'http:evil.example', '/%2F%2Fevil.example', '/%5Cevil.example', '%2F%2Fevil.example', '/\t/evil.example', '/%252F%252Fevil.example', 'javascript:alert(1)', '/.//evil.example']
  for (const next of hostile) {
    const b = new Browser(h.url)
    const xsrf = await formXsrf(b, '/hub/login')
    const res = await b.fetch(`/hub/login?next=${encodeURIComponent(next)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'admin', password: h.adminPassword!, _xsrf: xsrf }).toString() })
    t.equal(res.status, 302, next)
    t.equal(res.headers.get('location'), '/hub/home', `next=${JSON.stringify(next)} is not followed`)
  }
  const b = new Browser(h.url)
  const { visited } = await logIn(b, 'admin', h.adminPassword!, '/hub/token?x=1')
  t.equal(new URL(visited.at(-1)!).pathname + new URL(visited.at(-1)!).search, '/hub/token?x=1', 'a local next is followed')
  const already = await b.fetch('/hub/login?next=//evil.example')
  t.equal(already.headers.get('location'), '/hub/home', 'a logged-in visit to the login page does not follow a hostile next either')
})

t.test('failed logins are throttled: 429 with "try again in N s", also for the right password', async (t) => {
  const h = await startHub(t)
  const b = new Browser(h.url)
  let last: Response | undefined
  for (let i = 0; i < 5; i++) last = (await logIn(b, 'admin', `wrong-${i}`)).response
  t.equal(last!.status, 429)
  t.match(await last!.text(), /try again in \d+ s/)
  t.match(last!.headers.get('retry-after') ?? '', /^\d+$/)
  const right = await logIn(b, 'admin', h.adminPassword!)
  t.equal(right.response.status, 429, 'locked out even with the right password')
  t.notOk(b.cookies.has('monohub-session'))
})

t.test('pages that need a login redirect to the login page with a next back to them', async (t) => {
  const h = await startHub(t)
  const b = new Browser(h.url)
  for (const path of ['/hub/home', '/hub/token', '/hub/admin', '/hub/change-password']) {
    const res = await b.fetch(path)
    t.equal(res.status, 302, path)
    t.equal(res.headers.get('location'), `/hub/login?next=${encodeURIComponent(path)}`)
  }
  const root = await b.fetch('/')
  t.equal(root.headers.get('location'), '/hub/home', '/ leads to the hub when no route is set there')
})

t.test('error pages say what happened: 404 under /hub is an HTML page, /hub/api paths answer JSON', async (t) => {
  const h = await startHub(t, { deps: { api: async () => {} } })
  const res = await fetch(`${h.url}/hub/no-such-page`)
  t.equal(res.status, 404)
  t.match(res.headers.get('content-type') ?? '', /text\/html/)
  t.match(await res.text(), /There is no page at \/hub\/no-such-page/)
  const api = await fetch(`${h.url}/hub/api/no-such-thing`)
  t.equal(api.status, 404)
  t.same(Object.keys(await api.json() as object).sort(), ['message', 'status'])
})
