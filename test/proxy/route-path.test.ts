import t from 'tap'
import { BadPathError, decodePath, normalizeRoutePath, requestRouteKey } from '../../src/proxy/route-path.ts'

t.test('route paths get a leading slash and lose one trailing slash', async (t) => {
  t.equal(normalizeRoutePath('user/a'), '/user/a')
  t.equal(normalizeRoutePath('/user/a/'), '/user/a')
  t.equal(normalizeRoutePath('/'), '/')
  t.equal(normalizeRoutePath(''), '/')
  // CHP keeps '/user/a/' here, but its trie (like ours) ignores empty segments,
  // so the stored key and the table would disagree; monohub collapses slashes.
  t.equal(normalizeRoutePath('/user/a//'), '/user/a', 'repeated slashes collapse, so state and trie agree')
  t.equal(normalizeRoutePath('//user///a'), '/user/a')
})

t.test('route paths are stored decoded', async (t) => {
  t.equal(normalizeRoutePath('/user/foo%40bar'), '/user/foo@bar')
  t.equal(normalizeRoutePath('/user/foo@bar'), '/user/foo@bar')
  t.equal(decodePath('/no/escapes'), '/no/escapes')
  t.equal(decodePath('/a%20b'), '/a b')
})

t.test('a malformed escape is a BadPathError with code and status', async (t) => {
  for (const bad of ['/a%zz', '/a%', '/a%4', '/%E2%9C']) {
    const err = t.throws(() => decodePath(bad)) as unknown
    t.ok(err instanceof BadPathError, `${bad} throws BadPathError`)
    t.equal((err as BadPathError).code, 'BAD_PATH')
    t.equal((err as BadPathError).status, 400)
    t.match((err as BadPathError).message, bad)
  }
  t.throws(() => normalizeRoutePath('/user/%zz'), { code: 'BAD_PATH' })
})

t.test('the request key drops the query and decodes the path', async (t) => {
  t.equal(requestRouteKey('/user/foo%40bar/tree?x=%zz', undefined, false), '/user/foo@bar/tree', 'the query is ignored, even when malformed')
  t.equal(requestRouteKey('/', 'example.org', false), '/')
  t.throws(() => requestRouteKey('/user/%zz', undefined, false), { code: 'BAD_PATH' })
})

t.test('with host routing the host name (without port, lower-cased) leads the key', async (t) => {
  t.equal(requestRouteKey('/x?y', 'Hub.Example.org:8000', true), '/hub.example.org/x')
  t.equal(requestRouteKey('/', 'hub.example.org', true), '/hub.example.org/')
  t.equal(requestRouteKey('/x', undefined, true), '//x', 'no Host header: an empty host segment')
  t.equal(requestRouteKey('/x', '[::1]:8000', true), '/[::1]/x')
})
