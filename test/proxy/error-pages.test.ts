import t from 'tap'
import { builtInPage, escapeHtml } from '../../src/proxy/error-pages.ts'

t.test('the built-in page escapes everything it shows', async (t) => {
  const page = builtInPage(503, '/user/<img src=x onerror=alert(1)>/x?q="', 'cause <b>"bold"</b> & \'quote\'')
  t.notMatch(page, /<img/)
  t.notMatch(page, /<b>/)
  t.match(page, /&lt;img src=x onerror=alert\(1\)&gt;/)
  t.match(page, /cause &lt;b&gt;&quot;bold&quot;&lt;\/b&gt; &amp; &#39;quote&#39;/)
  t.notMatch(page, /q=/, 'the query string is not shown')
})

t.test('pages say what happened and what to do', async (t) => {
  t.match(builtInPage(503, '/user/a/', 'connection refused'), /Server not reachable[\s\S]*restart it from the hub/)
  t.match(builtInPage(404, '/x', undefined), /Nothing here[\s\S]*start it again/)
  t.match(builtInPage(400, '/x', undefined), /stray "%"|stray &quot;%&quot;/)
  t.match(builtInPage(418, '/x', undefined), /I&#39;m a Teapot|I'm a Teapot/)
})

t.test('escapeHtml covers the five HTML specials', async (t) => {
  t.equal(escapeHtml(`<>&"'`), '&lt;&gt;&amp;&quot;&#39;')
})
