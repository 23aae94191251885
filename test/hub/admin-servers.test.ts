/**
 * The admin page with many users and real servers: search, sort and paging
 * over 2,000 users stay fast; statistics; start / stop / delete per user;
 * bulk add; approving a sign-up from the table; non-admins refused.
 */
import t from 'tap'
import { newUserRecord } from '../../src/auth/records.ts'
import { browserFor, pidAlive, serverPid, serversHub, until, xsrfIn } from './servers-hub.ts'
import type { Browser } from '../helpers/cookie-jar.ts'

const DAY = 86_400_000

function post(b: Browser, path: string, fields: Record<string, string>): Promise<Response> {
  return b.fetch(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() })
}

t.test('with 2,000 users the table pages, searches and sorts on the server, quickly', async (t) => {
  const h = await serversHub(t)
  const now = Date.now()
  await Promise.all(Array.from({ length: 2000 }, (_, i) => {
    const name = `user-${String(i).padStart(4, '0')}`
    // user-0000 … : activity i hours ago, so the busiest come first when sorted by activity.
    return h.hub.store.commit({ op: 'user.put', user: newUserRecord(name, now - 40 * DAY, { lastActivity: now - i * 3600_000 }) })
  }))
  const admin = await browserFor(t, h, 'admin')
  const began = performance.now()
  const first = await admin.fetch('/hub/admin')
  const text = await first.text()
  const ms = performance.now() - began
  t.equal(first.status, 200)
  t.ok(ms < 1500, `the first page renders in ${ms.toFixed(0)} ms (sanity bound 1500 ms)`)
  t.equal(text.match(/<tr><td>/g)?.length, 50, 'one page of 50 rows')
  t.match(text, /<b>2001<\/b><span>users/)
  t.match(text, /<b>24<\/b><span>active in the last day/, 'activity statistics (user-0000 … user-0023 within 24 h)')
  t.match(text, /<b>168<\/b><span>active in the last week/)
  t.match(text, /<b>720<\/b><span>active in the last month/)
  t.match(text, /page 1 of 41/)
  t.match(text, /href="\/hub\/admin\?page=2"/)

  const search = await (await admin.fetch('/hub/admin?q=user-19')).text()
  t.equal(search.match(/<tr><td>/g)?.length, 50)
  t.match(search, /100 of 2001 users match &#39;user-19&#39;/)
  t.match(search, /href="\/hub\/admin\?q=user-19&amp;page=2"/)
  const last = await (await admin.fetch('/hub/admin?q=user-19&page=2')).text()
  t.match(last, /<td>user-1999/)
  t.notMatch(last, /<td>user-1949/)

  const byActivity = await (await admin.fetch('/hub/admin?sort=activity')).text()
  const names = [...byActivity.matchAll(/<tr><td>([a-z0-9-]+)/g)].map((m) => m[1])
  t.same(names.slice(0, 3), ['user-0000', 'user-0001', 'user-0002'])
  t.ok(names.indexOf('user-0000') < names.indexOf('user-0001') && names.indexOf('user-0001') < names.indexOf('user-0002'), 'most recent activity first')
  const timings: number[] = []
  for (const path of ['/hub/admin?page=41', '/hub/admin?sort=activity&page=20', '/hub/admin?q=user-0']) {
    const start = performance.now()
    const r = await admin.fetch(path)
    await r.text()
    timings.push(performance.now() - start)
    t.equal(r.status, 200, path)
  }
  t.ok(Math.max(...timings) < 1500, `other pages render in ${timings.map((x) => x.toFixed(0)).join(', ')} ms`)
})

t.test('every column sorts both ways from its heading: name, admin, last activity, server state', async (t) => {
  const h = await serversHub(t)
  const now = Date.now()
  for (const [i, name] of ['amy', 'ben', 'cat', 'dan'].entries()) {
    await h.hub.store.commit({ op: 'user.put', user: newUserRecord(name, now - DAY, { lastActivity: now - (i + 1) * 3600_000, admin: name === 'cat' }) })
  }
  await h.hub.servers.start('dan')
  const admin = await browserFor(t, h, 'admin')
  const order = async (path: string): Promise<string[]> => {
    const res = await admin.fetch(path)
    t.equal(res.status, 200, path)
    return [...(await res.text()).matchAll(/<tr><td>([a-z0-9-]+)/g)].map((m) => m[1]!)
  }
  t.same(await order('/hub/admin'), ['admin', 'amy', 'ben', 'cat', 'dan'], 'name A→Z by default')
  t.same(await order('/hub/admin?sort=-name'), ['dan', 'cat', 'ben', 'amy', 'admin'], 'name Z→A')
  const names = (list: string[]): string[] => list.filter((n) => n !== 'admin')
  t.same(names(await order('/hub/admin?sort=activity')).slice(0, 1), ['dan'], 'latest activity first (dan\'s server is fresh)')
  t.same(names(await order('/hub/admin?sort=-activity')), ['cat', 'ben', 'amy', 'dan'], 'oldest activity first')
  t.same((await order('/hub/admin?sort=admin')).slice(0, 2), ['admin', 'cat'], 'admins first, then by name')
  t.same((await order('/hub/admin?sort=-admin')).slice(-2), ['admin', 'cat'], 'admins last')
  t.same((await order('/hub/admin?sort=state'))[0], 'dan', 'running servers first')
  t.same((await order('/hub/admin?sort=-state')).at(-1), 'dan', 'running servers last')
  t.same(await order('/hub/admin?sort=nonsense'), await order('/hub/admin'), 'an unknown sort is the default order')

  const page = await (await admin.fetch('/hub/admin?sort=activity&q=a')).text()
  t.match(page, /<th aria-sort="descending"><a class="sort" href="\/hub\/admin\?q=a&amp;sort=-activity"[^>]*>Last activity ▼<\/a><\/th>/, 'the sorted heading flips the direction')
  t.match(page, /<th><a class="sort" href="\/hub\/admin\?q=a"[^>]*>Name<\/a><\/th>/, 'another heading sorts by its column')
  t.match(page, /<input type="hidden" name="sort" value="activity">/, 'a search keeps the sort')
  const flipped = await (await admin.fetch('/hub/admin?sort=-activity')).text()
  t.match(flipped, /aria-sort="ascending"><a class="sort" href="\/hub\/admin\?sort=activity"[^>]*>Last activity ▲/)
  await h.hub.servers.stop('dan')
})

t.test('an admin starts, stops and deletes a user from the table; bulk add; approve; others refused', async (t) => {
  const h = await serversHub(t, { config: { allowSignup: true } })
  const admin = await browserFor(t, h, 'admin')
  const page = await (await admin.fetch('/hub/admin')).text()
  const xsrf = xsrfIn(page)

  const added = await post(admin, '/hub/admin/bulk', { _xsrf: xsrf, names: 'alice\nBob\n\ncarol\nalice' })
  t.equal(added.status, 201)
  t.match(await added.text(), /Added 3 users/)
  for (const n of ['alice', 'bob', 'carol']) t.ok(Object.hasOwn(h.hub.store.state.users, n), `${n} exists`)
  const bad = await post(admin, '/hub/admin/bulk', { _xsrf: xsrf, names: 'dave\nnot a name!' })
  t.equal(bad.status, 400)
  t.match(await bad.text(), /Nothing was added/)
  t.notOk(Object.hasOwn(h.hub.store.state.users, 'dave'))

  const started = await post(admin, '/hub/admin/start', { _xsrf: xsrf, name: 'alice', back: '/hub/admin?q=ali' })
  t.equal(started.status, 200)
  const startedPage = await started.text()
  t.match(startedPage, /alice&#39;s server is starting/)
  t.match(startedPage, /value="ali"/, 'the search is kept')
  t.ok(await until(() => h.hub.servers.status('alice')?.ready === true))
  const pid = serverPid(h.hub, 'alice')
  const table = await (await admin.fetch('/hub/admin?q=alice')).text()
  t.match(table, /state-running/)
  t.match(table, /<b>1<\/b><span>servers running/)

  const stopped = await post(admin, '/hub/admin/stop', { _xsrf: xsrf, name: 'alice' })
  t.match(await stopped.text(), /servers are stopped/)
  t.ok(await until(() => !pidAlive(pid), 5000))

  await h.hub.servers.start('bob')
  const bobPid = serverPid(h.hub, 'bob')
  const deleted = await post(admin, '/hub/admin/delete', { _xsrf: xsrf, name: 'bob' })
  t.match(await deleted.text(), /User &#39;bob&#39; is deleted/)
  t.notOk(Object.hasOwn(h.hub.store.state.users, 'bob'))
  t.ok(await until(() => !pidAlive(bobPid), 5000), 'their server stopped')
  t.equal((await post(admin, '/hub/admin/delete', { _xsrf: xsrf, name: 'admin' })).status, 400, 'not yourself')

  await h.hub.store.commit({ op: 'user.put', user: newUserRecord('erin', Date.now(), { approved: false }) })
  const pending = await (await admin.fetch('/hub/admin')).text()
  t.match(pending, /<td>erin<span class="badge pending">waiting for approval/, 'waiting accounts are listed first')
  const approved = await post(admin, '/hub/admin/approve', { _xsrf: xsrf, name: 'erin' })
  t.match(await approved.text(), /approved and can log in now/)

  t.equal((await post(admin, '/hub/admin/start', { name: 'alice' })).status, 403, 'CSRF checked')
  const frank = await browserFor(t, h, 'frank')
  const refused = await post(frank, '/hub/admin/start', { _xsrf: xsrfIn(await (await frank.fetch('/hub/home')).text()), name: 'alice' })
  t.equal(refused.status, 403, 'not for non-admins')
  t.equal(h.hub.servers.status('alice'), undefined)
})
