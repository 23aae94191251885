import t from 'tap'
import { readFileSync } from 'node:fs'
import { runMonohub } from '../helpers/monohub-proxy.ts'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

// Every flag JupyterHub (3.x–5.x) passes to configurable-http-proxy, plus CHP's others and monohub's own.
const proxyFlagNames = [
  '--ip', '--port', '--api-ip', '--api-port', '--default-target', '--error-target', '--error-path',
  '--host-routing', '--log-level', '--ssl-key', '--ssl-cert', '--ssl-ca', '--ssl-request-cert',
  '--ssl-reject-unauthorized', '--ssl-protocol', '--ssl-ciphers', '--ssl-dhparam',
  '--api-ssl-key', '--api-ssl-cert', '--api-ssl-ca', '--api-ssl-request-cert', '--api-ssl-reject-unauthorized',
  '--client-ssl-key', '--client-ssl-cert', '--client-ssl-ca', '--client-ssl-request-cert', '--client-ssl-reject-unauthorized',
  '--timeout', '--proxy-timeout', '--keep-alive-timeout', '--no-x-forward', '--no-prepend-path', '--no-include-prefix',
  '--custom-header', '--metrics-ip', '--metrics-port', '--pid-file', '--redirect-port', '--redirect-to',
  '--data-dir', '--no-auth', '--config',
  // refused, but documented
  '--storage-backend', '--insecure', '--socket', '--auto-rewrite', '--change-origin', '--protocol-rewrite',
]

t.test('monohub --help lists the proxy command, --help and --version', async (t) => {
  const run = await runMonohub(['--help'])
  t.equal(run.code, 0)
  for (const text of ['Usage: monohub', 'proxy', '--version', '--help']) t.match(run.stdout, text)
})

t.test('monohub proxy --help describes every flag, its default and env var', async (t) => {
  const run = await runMonohub(['proxy', '--help'])
  t.equal(run.code, 0)
  for (const flag of proxyFlagNames) t.match(run.stdout, new RegExp(`(^|\\s)${flag}(\\s|$)`, 'm'), `help mentions ${flag}`)
  // Commander wraps lines to the terminal width: compare with whitespace collapsed.
  const text = run.stdout.replace(/\s+/g, ' ')
  t.match(text, '--port <n> public-facing port of the proxy (default: 8000; env MONOHUB_PORT)')
  t.match(text, '(default: --port + 1; env MONOHUB_API_PORT)')
  t.match(text, '(default: ./monohub-data; env MONOHUB_DATA_DIR)')
  t.match(text, '--no-auth run the route API without a token')
  t.match(text, 'CONFIGPROXY_AUTH_TOKEN token the route API requires')
})

t.test('--version prints the package version', async (t) => {
  const run = await runMonohub(['--version'])
  t.equal(run.code, 0)
  t.equal(run.stdout.trim(), pkg.version)
})

t.test('monohub with no subcommand shows help, says the hub is not built yet and starts nothing', async (t) => {
  const run = await runMonohub([])
  t.equal(run.code, 1)
  t.match(run.stdout, 'Usage: monohub')
  t.match(run.stderr, /hub .* is not built yet/)
})

t.test('an unknown flag is named, with a pointer to --help, exit 2', async (t) => {
  const run = await runMonohub(['proxy', '--prot', '9000'])
  t.equal(run.code, 2)
  t.match(run.stderr, "error: unknown option '--prot'")
  t.match(run.stderr, "(Did you mean --port?)")
  t.match(run.stderr, "run 'monohub proxy --help'")
})

t.test('an unknown command is refused with exit 2', async (t) => {
  const run = await runMonohub(['proxi'])
  t.equal(run.code, 2)
  t.match(run.stderr, /unknown command 'proxi'/)
})

t.test('a configurable-http-proxy flag monohub does not support is refused, never ignored', async (t) => {
  const run = await runMonohub(['proxy', '--storage-backend', 'redis'], { env: { CONFIGPROXY_AUTH_TOKEN: 'x' } })
  t.equal(run.code, 2)
  t.match(run.stderr, 'error: --storage-backend is not supported by monohub')
  t.match(run.stderr, '--data-dir')
})
