import t from 'tap'
import { safeNextUrl } from '../../src/auth/next-url.ts'

const FALLBACK = '/hub/home'
// Test names must stay on one TAP line: escape everything outside printable ASCII.
const show = (s: string) => JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))

t.test('local paths are kept (query and fragment too)', async (t) => {
  const ok: Array<[string, string]> = [
    ['/', '/'],
    ['/user/alice/', '/user/alice/'],
    ['/user/alice/lab?reset#x', '/user/alice/lab?reset#x'],
    ['/user/alice/tree/my%20notebook.ipynb', '/user/alice/tree/my%20notebook.ipynb'],
    ['/user/alice/files/100%25.txt', '/user/alice/files/100%25.txt'],
    ['/user/alice%40example.org/', '/user/alice%40example.org/'],
    ['/hub/spawn?next=%2Fuser%2Falice%2F', '/hub/spawn?next=%2Fuser%2Falice%2F'],
    ['/a/./b/../c', '/a/c'],
    ['/user/é/', '/user/%C3%A9/'],
  ]
  for (const [raw, want] of ok) t.equal(safeNextUrl(raw, FALLBACK), want, `keeps ${show(raw)}`)
})

t.test('every open-redirect form is refused', async (t) => {
  const evil = [
    // absolute and protocol-relative
    'https://evil.example/',
    'http://evil.example',
    'HTTPS://evil.example',
    '//evil.example',
    '//evil.example/path',
    '///evil.example',
    '////evil.example',
    // backslashes count as slashes in browsers
    '/\\evil.example',
    '\\/evil.example',
    '\\\\evil.example',
    '\\/\\/evil.example',
    '/\\/evil.example',
    // schemes
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox',
    // whitespace and control characters that browsers strip
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r/evil.example',
    '\t//evil.example',
    ' //evil.example',
    '/ /evil.example',
    '/\u0000/evil.example',
    '/\u00a0/evil.example',
    '/\u3000/evil.example',
    '/\u2028/evil.example',
    '/\ufeff/evil.example',
    // percent-encoded forms, once and twice
    '%2F%2Fevil.example',
    '%2f%2fevil.example',
    '/%2F/evil.example',
    '/%2f%2fevil.example',
    '/%5Cevil.example',
    '/%5cevil.example',
    '%5C%5Cevil.example',
    '/%09/evil.example',
    '/%0A/evil.example',
    '/%0d/evil.example',
    '/%00/evil.example',
    '/%252F/evil.example',
    '/%255Cevil.example',
    '/%25252F/evil.example',
    '/%2525252F/evil.example',
    // dot segments that resolve to a protocol-relative path
    '/.//evil.example',
    '/..//evil.example',
    '/a/../..//evil.example',
    '/%2e//evil.example',
    '/%2e%2e//evil.example',
    // credentials / host confusion
    'evil.example',
    'evil.example/path',
    '@evil.example',
    '.evil.example',
    '',
    '/' + 'a'.repeat(3000),
  ]
  for (const raw of evil) t.equal(safeNextUrl(raw, FALLBACK), FALLBACK, `refuses ${show(raw)}`)
})

t.test('non-strings fall back', async (t) => {
  for (const raw of [undefined, null, 42, ['/a'], { path: '/a' }]) t.equal(safeNextUrl(raw, FALLBACK), FALLBACK)
})

t.test('whatever the input, the result is a single-slash local path', async (t) => {
  // Random strings over the characters that matter; bounded.
  const alphabet = ['/', '\\', '%', '2', 'F', 'f', '5', 'C', 'c', '.', ':', '@', '\t', ' ', 'e', 'v', '?', '#', '0', '9']
  let seed = 12345
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  let bad = 0
  for (let i = 0; i < 20_000; i++) {
    let raw = ''
    const len = 1 + rand(10)
    for (let j = 0; j < len; j++) raw += alphabet[rand(alphabet.length)]
    const out = safeNextUrl(raw, FALLBACK)
    const resolved = new URL(out, 'http://hub.example')
    if (resolved.origin !== 'http://hub.example' || out.startsWith('//') || !out.startsWith('/') || /[\\\s]/.test(out)) {
      bad++
      t.fail(`${show(raw)} -> ${show(out)}`)
    }
  }
  t.equal(bad, 0)
})
