import t from 'tap'
import { createRequire } from 'node:module'
import { forwardPathFor, joinForwardPath, needsNormalising, normaliseRequestUrl, stripPrefix, targetPathOf } from '../../src/proxy/forward-path.ts'

// http-proxy-3's own helpers, the reference CHP forwards with.
const require = createRequire(import.meta.url)
const common = require('http-proxy-3/dist/lib/http-proxy/common.js') as { urlJoin(...parts: string[]): string; toURL(url: string): URL }
function chpGetPath(url: string): string {
  if (url === '' || url.startsWith('?')) return url
  const u = common.toURL(url)
  return `${u.pathname}${u.search}`
}
/** What configurable-http-proxy 5.3 sends upstream for `url` on route `prefix` → `target`. */
function chpForwardPath(url: string, prefix: string, target: string, prependPath: boolean, includePrefix: boolean): string {
  const t = new URL(target)
  const targetPath = prependPath ? chpGetPath(`${t.pathname}${t.search}`) : '/'
  return common.urlJoin(targetPath, chpGetPath(includePrefix ? url : url.slice(prefix.length)))
}

const URLS = [
  '/user/a',
  '/user/a/',
  '/user/a?x=1',
  '/user/a/tree/dir%20name/file.ipynb',
  '/user/a/api/contents?type=file&format=text&content=1',
  '/user/a/files/%E2%9C%93.txt?download=1',
  '/user/a/x?q=a+b&r=%2F',
  '/user/a/x?q=it\'s',
  '/user/a/with space',
  '/user/a/brace{}/pipe|/caret^/tick`',
  '/user/a/x#frag',
  '/user/a/x?',
  '/user/a//double//slash',
  '/user/a/./here',
  '/user/a/b/../c',
  '/user/a/%2e%2E/a/y',
  '/user/a/back\\slash',
  '/user/a/ünï',
]
const TARGETS = ['http://127.0.0.1:9000', 'http://127.0.0.1:9000/', 'http://127.0.0.1:9000/base', 'http://127.0.0.1:9000/base/', 'http://127.0.0.1:9000/base?k=v']

t.test('the forwarded path equals configurable-http-proxy\'s for every option combination', async (t) => {
  for (const target of TARGETS) {
    for (const prependPath of [true, false]) {
      for (const includePrefix of [true, false]) {
        for (const raw of URLS) {
          const url = needsNormalising(raw) ? normaliseRequestUrl(raw) : raw
          // CHP slices the raw URL; compare only where the prefix is still there after normalising.
          if (!includePrefix && !url.startsWith('/user/a')) continue
          const ours = forwardPathFor({ prefix: '/user/a', data: { target } }, url, { hostRouting: false, prependPath, includePrefix })
          const chp = chpForwardPath(includePrefix ? raw : url, '/user/a', target, prependPath, includePrefix)
          t.equal(ours, chp, `${target} prepend=${prependPath} include=${includePrefix} ${JSON.stringify(raw)}`)
        }
      }
    }
  }
})

t.test('needsNormalising is false only where WHATWG URL leaves the URL as it is', async (t) => {
  const candidates = [...URLS, '/', '/a-b_c~d!$&()*+,;=:@', '/a%20b', '/a?b=c&d=%41', '/.hidden', '/a.b/c..d', '/%2Fslash']
  for (const url of candidates) {
    if (!needsNormalising(url)) t.equal(chpGetPath(url), url, `${url} is unchanged by URL`)
    else t.pass(`${url} goes through URL`)
  }
  t.equal(needsNormalising('/user/a/tree?x=1'), false, 'the common case skips URL parsing')
  t.equal(needsNormalising('/a/../b'), true)
  t.equal(needsNormalising('/a/%2E%2e/b'), true)
})

t.test('stripPrefix removes whole segments, also when the prefix is percent-encoded in the URL', async (t) => {
  t.equal(stripPrefix('/user/a/tree?x', '/user/a'), '/tree?x')
  t.equal(stripPrefix('/user/a', '/user/a'), '')
  t.equal(stripPrefix('/user/a?q', '/user/a'), '?q')
  t.equal(stripPrefix('/user/foo%40bar/tree', '/user/foo@bar'), '/tree')
  t.equal(stripPrefix('/user/a%2Fb/x', '/user/a/b'), '/x')
  t.equal(stripPrefix('/anything', '/'), '/anything')
  t.equal(stripPrefix('/other/x', '/user/a'), '/other/x', 'a URL not under the prefix is left alone')
})

t.test('joinForwardPath merges queries and never doubles a slash', async (t) => {
  t.equal(joinForwardPath(targetPathOf('http://h/base/'), '/x'), '/base/x')
  t.equal(joinForwardPath(targetPathOf('http://h/base'), ''), '/base')
  t.equal(joinForwardPath(targetPathOf('http://h/base?k=v'), '/x?y=1'), '/base/x?k=v&y=1')
  t.equal(joinForwardPath(undefined, '?y=1'), '/?y=1')
})

t.test('with host routing the host segment is not part of the stripped prefix', async (t) => {
  const route = { prefix: '/a.example.org/sub', data: { target: 'http://127.0.0.1:1/base' } }
  t.equal(forwardPathFor(route, '/sub/x?y', { hostRouting: true, prependPath: true, includePrefix: false }), '/base/x?y')
  t.equal(forwardPathFor(route, '/sub/x?y', { hostRouting: true, prependPath: true, includePrefix: true }), '/base/sub/x?y')
})
