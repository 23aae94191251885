/**
 * Header logins through the hub: a trusted front end (address AND shared
 * secret) says who the user is in a header; anyone else sending the header
 * gets a 403 page. The front end's headers never reach user servers. And the
 * allowlist file: removing a name blocks that person's next login.
 */
import t, { type Test } from 'tap'
import http from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHub, type TestHub } from '../helpers/hub.ts'
import { startEchoBackend, type Echo } from '../helpers/echo-backend.ts'

const SECRET = 'front-end-shared-secret-0123456789'

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/**
 * One request from a given local address (the whole 127.0.0.0/8 is
 * loopback on Linux, so 127.0.0.2 is "another machine" for the hub).
 */
function request(base: string, path: string, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, base), { headers, localAddress, agent: false, timeout: 10_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end()
  })
}

function sessionOf(answer: Answer): string | undefined {
  for (const line of answer.headers['set-cookie'] ?? []) {
    const m = /^monohub-session=([^;]+)/.exec(line)
    if (m !== null && m[1] !== '') return m[1]
  }
  return undefined
}

async function headerHub(t: Test, config: Record<string, unknown> = {}): Promise<TestHub> {
  return startHub(t, {
    config: {
      authenticator: { kind: 'header', trustedAddresses: ['127.0.0.1'], secret: SECRET, groupsHeader: 'X-Forwarded-Groups' },
      allowedGroups: ['staff'],
      ...config,
    },
  })
}

const fromFrontEnd = (user: string, groups = 'staff'): Record<string, string> => ({ 'x-forwarded-user': user, 'x-forwarded-groups': groups, 'x-monohub-secret': SECRET })

t.test('the trusted front end with the secret logs the user in on /hub/login and goes on to next', async (t) => {
  const h = await headerHub(t)
  const res = await request(h.url, '/hub/login?next=%2Fhub%2Ftoken', fromFrontEnd('Alice'))
  t.equal(res.status, 302)
  t.equal(res.headers.location, '/hub/token')
  const session = sessionOf(res)
  t.ok(session, 'a session cookie was issued')
  t.same(h.hub.store.state.users.alice?.groups, ['staff'])
  const home = await request(h.url, '/hub/home', { cookie: `monohub-session=${session}` })
  t.equal(home.status, 200)
  t.match(home.body, /Hello, alice/)
})

t.test('the header from an untrusted address, or without the right secret, gets a 403 page that says which check failed', async (t) => {
  const h = await headerHub(t)
  const untrusted = await request(h.url, '/hub/login', fromFrontEnd('alice'), '127.0.0.2')
  t.equal(untrusted.status, 403)
  t.match(untrusted.body, /came from 127\.0\.0\.2, which is not a trusted front end/)
  t.notOk(sessionOf(untrusted))
  const noSecret = await request(h.url, '/hub/login', { 'x-forwarded-user': 'alice' })
  t.equal(noSecret.status, 403)
  t.match(noSecret.body, /not the shared-secret header X-Monohub-Secret/)
  const wrong = await request(h.url, '/hub/login', { 'x-forwarded-user': 'alice', 'x-monohub-secret': 'guessing-the-secret-0000000000' })
  t.equal(wrong.status, 403)
  t.match(wrong.body, /does not match/)
  t.notMatch(wrong.body, new RegExp(SECRET), 'the secret is never shown')
  t.notOk(Object.hasOwn(h.hub.store.state.users, 'alice'), 'no account was created')
  // Without the header at all: the page explains where to log in.
  const plain = await request(h.url, '/hub/login', {}, '127.0.0.2')
  t.equal(plain.status, 200)
  t.match(plain.body, /single sign-on front end/)
})

t.test('a user outside the allowed groups gets a 403 page', async (t) => {
  const h = await headerHub(t)
  const res = await request(h.url, '/hub/login', fromFrontEnd('mallory', 'visitors'))
  t.equal(res.status, 403)
  t.match(res.body, /User &#39;mallory&#39; is not allowed to use this hub/)
})

t.test('the front end\'s user, groups and secret headers never reach a user server', async (t) => {
  const h = await headerHub(t)
  const backend = await startEchoBackend(t, 'alice-server')
  await h.hub.routes.set('/user/alice', { target: backend.url, user: 'alice', server_name: '' })
  await h.hub.routes.set('/services/open', { target: backend.url })
  const session = sessionOf(await request(h.url, '/hub/login', fromFrontEnd('alice')))!
  // The front end keeps adding its headers to every request it passes on.
  const res = await request(h.url, '/user/alice/api/status', { ...fromFrontEnd('alice'), cookie: `monohub-session=${session}`, 'x-other': 'kept' })
  t.equal(res.status, 200)
  const seen = (JSON.parse(res.body) as Echo).headers
  t.notOk('x-forwarded-user' in seen, 'user header stripped')
  t.notOk('x-forwarded-groups' in seen, 'groups header stripped')
  t.notOk('x-monohub-secret' in seen, 'secret header stripped')
  t.equal(seen['x-other'], 'kept', 'other headers pass')
  const open = JSON.parse((await request(h.url, '/services/open/', fromFrontEnd('alice'))).body) as Echo
  t.notOk('x-monohub-secret' in open.headers, 'stripped on routes without a user too')
})

t.test('allowlist file: removing a name blocks that user\'s next login at once, without a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-allowlist-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'allowed.txt')
  await writeFile(file, '# who may use the hub\nalice\nbob\n')
  const h = await headerHub(t, { allowedGroups: [], allowlistFile: file })
  const alice = await request(h.url, '/hub/login', fromFrontEnd('alice', ''))
  t.equal(alice.status, 302, 'alice is on the list')
  t.ok(sessionOf(alice))
  t.equal((await request(h.url, '/hub/login', fromFrontEnd('carol', ''))).status, 403, 'carol is not')

  await writeFile(file, '# alice left\nbob\n')
  const again = await request(h.url, '/hub/login', fromFrontEnd('alice', ''))
  t.equal(again.status, 403, 'alice\'s next login is refused')
  t.match(again.body, /User &#39;alice&#39; is not allowed/)
  t.notOk(sessionOf(again))
  t.equal((await request(h.url, '/hub/login', fromFrontEnd('bob', ''))).status, 302, 'bob still logs in')

  await writeFile(file, 'alice\nbob\ncarol\n')
  t.equal((await request(h.url, '/hub/login', fromFrontEnd('carol', ''))).status, 302, 'a name added later is let in')

  await rm(file)
  t.equal((await request(h.url, '/hub/login', fromFrontEnd('bob', ''))).status, 403, 'a missing file lets no one in (fails closed)')
})
