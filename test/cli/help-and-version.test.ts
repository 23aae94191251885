import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { binPath, runMonohub, type RunResult } from '../helpers/monohub-proxy.ts'

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

// The hub's own settings (plain `monohub` / `monohub serve`), each with its MONOHUB_* variable.
const hubFlagNames = [
  '--config', '--ip', '--port', '--data-dir', '--log-level', '--ssl-key', '--ssl-cert', '--public-url',
  '--allow-signup', '--min-password-length', '--authenticator', '--allowed-users', '--admin-users',
  '--allowed-groups', '--admin-groups', '--allowlist-file', '--session-lifetime', '--session-idle-timeout',
]

/** Matches `flag` as a whole word in help text (so --port does not match --api-port). */
function flagPattern(flag: string): RegExp {
  return new RegExp(`(^|\\s)${flag}(\\s|$)`, 'm')
}

/** Commander wraps lines to the terminal width: compare help text with whitespace collapsed. */
function oneLine(help: string): string {
  return help.replace(/\s+/g, ' ')
}

/** A fresh empty directory to run the CLI in, so a test can check nothing was created there. */
async function emptyCwd(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Runs the built `monohub <args>` in a fresh empty directory: a command that wrongly starts a hub writes nothing in the repo or tmpdir. */
async function monohub(t: Test, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runMonohub(args, { cwd: await emptyCwd(t), env })
}

t.test('monohub --help documents the hub: its flags with their env vars, the subcommands and MONOHUB_ADMIN_PASSWORD', async (t) => {
  const run = await monohub(t, ['--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, /^Usage: monohub /)
  for (const flag of hubFlagNames) t.match(run.stdout, flagPattern(flag), `help mentions ${flag}`)
  const text = oneLine(run.stdout)
  t.match(text, 'With no command: run the hub')
  t.match(text, '(default: ./monohub-data) [MONOHUB_DATA_DIR]')
  t.match(text, '(default: 8000) [MONOHUB_PORT]')
  t.match(text, '[MONOHUB_IP]')
  t.match(text, '(env MONOHUB_CONFIG)')
  t.match(text, 'MONOHUB_ADMIN_PASSWORD password of the first \'admin\' account')
  for (const command of ['serve', 'proxy', 'user', 'token']) {
    t.match(run.stdout, new RegExp(`^ {2}${command} `, 'm'), `subcommand ${command} listed`)
  }
  for (const flag of ['--version', '--help']) t.match(run.stdout, flag)
})

t.test('monohub serve --help shows the same hub flags as plain monohub', async (t) => {
  const run = await monohub(t, ['serve', '--help'])
  t.equal(run.code, 0)
  t.match(run.stdout, 'Usage: monohub serve')
  for (const flag of hubFlagNames) t.match(run.stdout, flagPattern(flag), `serve --help mentions ${flag}`)
})

t.test('monohub proxy --help describes every flag, its default and env var', async (t) => {
  const run = await monohub(t, ['proxy', '--help'])
  t.equal(run.code, 0)
  for (const flag of proxyFlagNames) t.match(run.stdout, flagPattern(flag), `help mentions ${flag}`)
  const text = oneLine(run.stdout)
  t.match(text, '--port <n> public-facing port of the proxy (default: 8000; env MONOHUB_PORT)')
  t.match(text, '(default: --port + 1; env MONOHUB_API_PORT)')
  t.match(text, '(default: ./monohub-data; env MONOHUB_DATA_DIR)')
  t.match(text, '--no-auth run the route API without a token')
  t.match(text, 'CONFIGPROXY_AUTH_TOKEN token the route API requires')
})

t.test('--version prints the package version', async (t) => {
  const run = await monohub(t, ['--version'])
  t.equal(run.code, 0)
  t.equal(run.stdout.trim(), pkg.version)
})

t.test('plain monohub with a bad hub setting exits 2 naming the flag, and creates no data dir', async (t) => {
  const cwd = await emptyCwd(t)
  const run = await runMonohub(['--port', 'abc'], { cwd })
  t.equal(run.code, 2)
  t.match(run.stderr, "port must be an integer 1–65535, got 'abc' (from --port)")
  t.same(await readdir(cwd), [], 'nothing written in the working directory')
})

t.test('plain monohub with an unknown flag exits 2 with a pointer to --help, and creates no data dir', async (t) => {
  const cwd = await emptyCwd(t)
  const run = await runMonohub(['--prot', '9000'], { cwd })
  t.equal(run.code, 2)
  t.match(run.stderr, "error: unknown option '--prot'")
  t.match(run.stderr, "run 'monohub --help'")
  t.same(await readdir(cwd), [], 'nothing written in the working directory')
})

t.test('an unknown flag is named, with a pointer to --help, exit 2', async (t) => {
  const run = await monohub(t, ['proxy', '--prot', '9000'])
  t.equal(run.code, 2)
  t.match(run.stderr, "error: unknown option '--prot'")
  t.match(run.stderr, "(Did you mean --port?)")
  t.match(run.stderr, "run 'monohub proxy --help'")
})

t.test('an unknown flag of a nested command points to that command\'s whole --help', async (t) => {
  const run = await monohub(t, ['user', 'add', 'alice', '--amdin'])
  t.equal(run.code, 2)
  t.match(run.stderr, "error: unknown option '--amdin'")
  t.match(run.stderr, "run 'monohub user add --help'")
})

t.test('an unknown command is refused with exit 2', async (t) => {
  const run = await monohub(t, ['proxi'])
  t.equal(run.code, 2)
  t.match(run.stderr, /unknown command 'proxi'/)
})

t.test('a configurable-http-proxy flag monohub does not support is refused, never ignored', async (t) => {
  const run = await monohub(t, ['proxy', '--storage-backend', 'redis'], { CONFIGPROXY_AUTH_TOKEN: 'x' })
  t.equal(run.code, 2)
  t.match(run.stderr, 'error: --storage-backend is not supported by monohub')
  t.match(run.stderr, '--data-dir')
})

t.test('a reader that closes the pipe early (`monohub --help | head -1`) ends it quietly, not with a crash', async (t) => {
  const { spawn } = await import('node:child_process')
  const child = spawn(process.execPath, [binPath, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  // Close our end before the help is written, as `head` does after its line.
  child.stdout.destroy()
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  t.equal(code, 0)
  t.equal(stderr, '', 'no stack trace')
})
