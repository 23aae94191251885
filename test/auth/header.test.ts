import t from 'tap'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AuthRequest } from '../../src/auth/authenticator.ts'
import { LoginRefusedError } from '../../src/auth/authenticator.ts'
import { headerAuthenticator, type HeaderAuthenticatorOptions } from '../../src/auth/authenticators/header.ts'
import { canonicalAddress, secretMatches, trustedAddresses } from '../../src/auth/authenticators/header-trust.ts'
import { AuthenticatorConfigError } from '../../src/auth/authenticators/authenticator-config-error.ts'

const SECRET = 'front-end-shared-secret-0123456789'

function options(extra: Partial<HeaderAuthenticatorOptions> = {}): HeaderAuthenticatorOptions {
  return { trustedAddresses: ['10.0.0.0/24', '192.0.2.7', 'fd00:1::/32', '::1'], secret: SECRET, ...extra }
}

function request(remoteAddress: string, headers: Record<string, string | string[]>): AuthRequest {
  return { url: new URL('http://hub.example/hub/login'), method: 'GET', headers, remoteAddress }
}

async function refusal(promise: Promise<unknown>): Promise<LoginRefusedError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof LoginRefusedError) return err
    throw err
  }
  throw new Error('expected a LoginRefusedError, got a result')
}

t.test('a trusted address with the right secret logs the user in', async (t) => {
  const auth = headerAuthenticator(options())
  t.equal(auth.kind, 'header')
  const result = await auth.authenticate(request('10.0.0.17', { 'x-forwarded-user': 'Alice', 'x-monohub-secret': SECRET }))
  t.same(result, { name: 'Alice' })
})

t.test('no user header means not authenticated, from anywhere', async (t) => {
  const auth = headerAuthenticator(options())
  t.equal(await auth.authenticate(request('203.0.113.9', {})), null)
  t.equal(await auth.authenticate(request('10.0.0.1', { 'x-monohub-secret': SECRET })), null)
  t.equal(await auth.authenticate(request('10.0.0.1', { 'x-forwarded-user': '  ', 'x-monohub-secret': SECRET })), null)
})

t.test('the user header from an untrusted address is refused with 403, even with the right secret', async (t) => {
  const auth = headerAuthenticator(options())
  for (const address of ['10.0.1.1', '203.0.113.9', '::ffff:10.0.1.1', 'fd01::1', '::2']) {
    const err = await refusal(auth.authenticate(request(address, { 'x-forwarded-user': 'mallory', 'x-monohub-secret': SECRET })))
    t.equal(err.status, 403, address)
    t.equal(err.code, 'HEADER_UNTRUSTED_ADDRESS', address)
    t.match(err.message, address)
    t.notMatch(err.message, SECRET)
    t.notMatch(err.message, '10.0.0.0/24', 'the trusted list is not revealed')
  }
})

t.test('a missing or wrong secret is refused with 403 without revealing the secret', async (t) => {
  const auth = headerAuthenticator(options())
  const missing = await refusal(auth.authenticate(request('10.0.0.5', { 'x-forwarded-user': 'mallory' })))
  t.equal(missing.status, 403)
  t.equal(missing.code, 'HEADER_SECRET_MISSING')
  t.match(missing.message, 'X-Monohub-Secret')
  const empty = await refusal(auth.authenticate(request('10.0.0.5', { 'x-forwarded-user': 'mallory', 'x-monohub-secret': '' })))
  t.equal(empty.code, 'HEADER_SECRET_MISSING')
  for (const wrong of ['nope', SECRET.slice(0, -1), SECRET + 'x', SECRET.toUpperCase()]) {
    const err = await refusal(auth.authenticate(request('10.0.0.5', { 'x-forwarded-user': 'mallory', 'x-monohub-secret': wrong })))
    t.equal(err.status, 403)
    t.equal(err.code, 'HEADER_SECRET_MISMATCH')
    t.notMatch(err.message, SECRET)
  }
})

t.test('a repeated user or secret header is refused', async (t) => {
  const auth = headerAuthenticator(options())
  const err = await refusal(auth.authenticate(request('10.0.0.5', { 'x-forwarded-user': ['alice', 'root'], 'x-monohub-secret': SECRET })))
  t.equal(err.code, 'HEADER_REPEATED')
  t.equal(err.status, 400)
  const twice = await refusal(auth.authenticate(request('10.0.0.5', { 'x-forwarded-user': 'alice', 'x-monohub-secret': [SECRET, SECRET] })))
  t.equal(twice.code, 'HEADER_REPEATED')
  t.same(await auth.authenticate(request('10.0.0.5', { 'x-forwarded-user': ['alice'], 'x-monohub-secret': SECRET })), { name: 'alice' })
})

t.test('IPv4 CIDR ranges, single addresses and mapped ::ffff: forms match', async (t) => {
  const list = trustedAddresses(['10.0.0.0/24', '192.0.2.7', '172.16.0.0/12', '::ffff:198.51.100.0/120'])
  for (const yes of ['10.0.0.0', '10.0.0.255', '::ffff:10.0.0.9', '::FFFF:10.0.0.9', '192.0.2.7', '::ffff:192.0.2.7', '172.31.255.255', '198.51.100.200', '::ffff:198.51.100.1']) {
    t.ok(list.has(yes), `${yes} is trusted`)
  }
  for (const no of ['10.0.1.0', '192.0.2.8', '172.32.0.1', '198.51.101.1', '::ffff:192.0.2.8', 'not-an-ip', '', '::1']) {
    t.notOk(list.has(no), `${no} is not trusted`)
  }
  t.same(list.entries, ['10.0.0.0/24', '192.0.2.7', '172.16.0.0/12', '::ffff:198.51.100.0/120'])
})

t.test('IPv6 addresses and ranges match, in any spelling and with a zone id', async (t) => {
  const list = trustedAddresses(['::1', 'fd00:1::/32', '2001:db8::10'])
  for (const yes of ['::1', '0:0:0:0:0:0:0:1', 'fd00:1:ffff::1', 'FD00:1::abcd', '2001:db8:0:0:0:0:0:10', '2001:DB8::10', '[::1]', 'fd00:1::1%eth0']) {
    t.ok(list.has(yes), `${yes} is trusted`)
  }
  for (const no of ['::2', 'fd00:2::1', '2001:db8::11', '127.0.0.1']) t.notOk(list.has(no), `${no} is not trusted`)
  t.same(canonicalAddress('::ffff:127.0.0.1'), { address: '127.0.0.1', family: 'ipv4' })
  t.same(canonicalAddress('FE80::1%lo'), { address: 'fe80::1', family: 'ipv6' })
  t.equal(canonicalAddress('example.com'), null)
})

t.test('a whole-family range such as 0.0.0.0/0 is accepted when configured', async (t) => {
  const list = trustedAddresses(['0.0.0.0/0'])
  t.ok(list.has('8.8.8.8'))
  t.ok(list.has('::ffff:8.8.8.8'))
  t.notOk(list.has('::1'), 'an IPv4 range does not admit IPv6 peers')
})

t.test('bad options stop start-up with a message naming the option', async (t) => {
  const cases: Array<[Partial<HeaderAuthenticatorOptions>, string, RegExp]> = [
    [{ trustedAddresses: [] }, 'authenticator.trustedAddresses', /no trusted front-end address/],
    [{ trustedAddresses: ['proxy.internal'] }, 'authenticator.trustedAddresses', /'proxy.internal' is not an IP address/],
    [{ trustedAddresses: ['10.0.0.0/33'] }, 'authenticator.trustedAddresses', /bad prefix length/],
    [{ trustedAddresses: ['::/129'] }, 'authenticator.trustedAddresses', /bad prefix length/],
    [{ trustedAddresses: ['10.0.0.0/x'] }, 'authenticator.trustedAddresses', /bad prefix length/],
    [{ trustedAddresses: ['::ffff:10.0.0.0/8'] }, 'authenticator.trustedAddresses', /::ffff: range/],
    [{ secret: 'short' }, 'authenticator.secret', /at least 16 characters/],
    [{ userHeader: 'X User' }, 'authenticator.userHeader', /not a valid HTTP header name/],
    [{ groupsHeader: '' }, 'authenticator.groupsHeader', /not a valid HTTP header name/],
    [{ secretHeader: 'a:b' }, 'authenticator.secretHeader', /not a valid HTTP header name/],
    [{ groupsSeparator: '' }, 'authenticator.groupsSeparator', /must not be empty/],
  ]
  for (const [extra, option, message] of cases) {
    try {
      headerAuthenticator(options(extra))
      t.fail(`expected ${option} to be refused`)
    } catch (err) {
      t.ok(err instanceof AuthenticatorConfigError, option)
      t.equal((err as AuthenticatorConfigError).option, option)
      t.match((err as Error).message, message)
    }
  }
})

t.test('custom header names, groups and UTF-8 names from the front end', async (t) => {
  const auth = headerAuthenticator(options({ userHeader: 'Remote-User', secretHeader: 'X-Shib-Secret', groupsHeader: 'X-Groups', groupsSeparator: ';' }))
  const utf8 = Buffer.from('jörg', 'utf8').toString('latin1') // how Node hands over UTF-8 header bytes
  const result = await auth.authenticate(request('192.0.2.7', { 'remote-user': utf8, 'x-shib-secret': SECRET, 'x-groups': 'staff; physics ;;' }))
  t.same(result, { name: 'jörg', groups: ['staff', 'physics'] })
  const noGroups = await auth.authenticate(request('192.0.2.7', { 'remote-user': 'bob', 'x-shib-secret': SECRET }))
  t.same(noGroups, { name: 'bob', groups: [] })
  const latin1 = await auth.authenticate(request('192.0.2.7', { 'remote-user': 'j\u00f6rg', 'x-shib-secret': SECRET }))
  t.same(latin1, { name: 'j\u00f6rg', groups: [] }, 'bytes that are not UTF-8 are kept as they are')
  const ignoredDefault = await auth.authenticate(request('192.0.2.7', { 'x-forwarded-user': 'eve', 'x-monohub-secret': SECRET }))
  t.equal(ignoredDefault, null, 'the default header names mean nothing once others are configured')
})

t.test('secretMatches compares whole values', async (t) => {
  t.ok(secretMatches(SECRET, SECRET))
  t.notOk(secretMatches('', SECRET))
  t.notOk(secretMatches(SECRET + SECRET, SECRET))
})

t.test('over real HTTP: the peer address Node reports (::ffff:127.0.0.1 on a dual-stack socket) is matched', async (t) => {
  const seen: Array<{ status: number; body: string }> = []
  const server = http.createServer((req, res) => {
    void (async () => {
      const auth = headerAuthenticator(options({ trustedAddresses: ['127.0.0.1'] }))
      const authReq: AuthRequest = { url: new URL(req.url ?? '/', 'http://127.0.0.1'), method: req.method ?? 'GET', headers: req.headers, remoteAddress: req.socket.remoteAddress ?? '' }
      try {
        const result = await auth.authenticate(authReq)
        res.end(JSON.stringify({ result, peer: authReq.remoteAddress }))
      } catch (err) {
        res.statusCode = (err as LoginRefusedError).status
        res.end((err as Error).message)
      }
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '::', resolve))
  t.teardown(() => server.close())
  const { port } = server.address() as AddressInfo
  const good = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-forwarded-user': 'alice', 'x-monohub-secret': SECRET } })
  const body = await good.json() as { result: unknown; peer: string }
  t.equal(good.status, 200)
  t.same(body.result, { name: 'alice' })
  t.match(body.peer, /127\.0\.0\.1$/)
  const bad = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-forwarded-user': 'alice', 'x-monohub-secret': 'wrong-secret-value-here' } })
  t.equal(bad.status, 403)
  seen.push({ status: bad.status, body: await bad.text() })
  t.match(seen[0]!.body, /does not match/)
})

t.test('the oauth2-proxy example builds a header authenticator trusting only loopback', async (t) => {
  const config = JSON.parse(readFileSync(new URL('../../examples/header-oauth2-proxy.json', import.meta.url), 'utf8')) as { authenticator: { kind: string } & HeaderAuthenticatorOptions }
  const { kind, ...example } = config.authenticator
  t.equal(kind, 'header')
  const auth = headerAuthenticator(example)
  const headers = { 'x-forwarded-user': 'ada', 'x-forwarded-groups': 'hub-users,physics', 'x-monohub-secret': example.secret }
  t.same(await auth.authenticate(request('::ffff:127.0.0.1', headers)), { name: 'ada', groups: ['hub-users', 'physics'] })
  t.equal((await refusal(auth.authenticate(request('192.0.2.1', headers)))).code, 'HEADER_UNTRUSTED_ADDRESS')
})
