import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, runMonohub, startMonohubProxy } from '../helpers/monohub-proxy.ts'

const token = { CONFIGPROXY_AUTH_TOKEN: 'a-token' }

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-config-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

t.test('--port abc is refused with the key, what is expected and the bad value, exit 2', async (t) => {
  const run = await runMonohub(['proxy', '--port', 'abc'], { env: token })
  t.equal(run.code, 2)
  t.equal(run.stderr, "error: port must be an integer 1–65535, got 'abc' (from --port)\n")
  t.equal(run.stdout, '')
})

t.test('a bad value from env names the env var', async (t) => {
  const run = await runMonohub(['proxy'], { env: { ...token, MONOHUB_LOG_LEVEL: 'loud' } })
  t.equal(run.code, 2)
  t.match(run.stderr, "log-level must be one of debug, info, warn, error, got 'loud' (from env MONOHUB_LOG_LEVEL)")
})

t.test('several bad values are all reported at once', async (t) => {
  const run = await runMonohub(['proxy', '--api-port', '70000', '--timeout', '-5', '--default-target', 'ftp://x'], { env: token })
  t.equal(run.code, 2)
  t.match(run.stderr, "api-port must be an integer 1–65535, got '70000' (from --api-port)")
  t.match(run.stderr, "timeout must be a whole number of milliseconds (0 or more), got '-5' (from --timeout)")
  t.match(run.stderr, "default-target must be an http(s) URL like 'http://127.0.0.1:8081', got 'ftp://x' (from --default-target)")
})

t.test('a config file with an unknown key names the file and the key, with a suggestion', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'monohub.json')
  await writeFile(file, JSON.stringify({ port: 9000, apiPrt: 9001 }))
  const run = await runMonohub(['proxy', '--config', file], { env: token })
  t.equal(run.code, 2)
  t.match(run.stderr, `config file ${file} has unknown setting 'apiPrt' (did you mean 'apiPort'?)`)
})

t.test('a config file value of the wrong type names the file and key', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'monohub.json')
  await writeFile(file, JSON.stringify({ hostRouting: 'sometimes' }))
  const run = await runMonohub(['proxy'], { env: { ...token, MONOHUB_CONFIG: file } })
  t.equal(run.code, 2)
  t.match(run.stderr, `host-routing must be true or false, got 'sometimes' (from config file ${file}, key 'hostRouting')`)
})

t.test('a config file that is not JSON is refused with the parse error', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'monohub.json')
  await writeFile(file, '{ port: 1 }')
  const run = await runMonohub(['proxy', '--config', file], { env: token })
  t.equal(run.code, 2)
  t.match(run.stderr, `config file ${file} is not valid JSON`)
})

t.test('a custom header without a colon is refused', async (t) => {
  const run = await runMonohub(['proxy', '--custom-header', 'X-Team'], { env: token })
  t.equal(run.code, 2)
  t.match(run.stderr, "custom-headers must be headers as 'Name: value'")
})

t.test('--error-target and --error-path together are refused', async (t) => {
  const run = await runMonohub(['proxy', '--error-target', 'http://127.0.0.1:1/error', '--error-path', '/tmp'], { env: token })
  t.equal(run.code, 2)
  t.match(run.stderr, 'cannot both be set')
})

t.test('--ssl-key without --ssl-cert is refused', async (t) => {
  const run = await runMonohub(['proxy', '--ssl-key', '/nonexistent.key'], { env: token })
  t.equal(run.code, 2)
  t.match(run.stderr, 'TLS for the public listener needs both ssl-key and ssl-cert')
})

t.test('without CONFIGPROXY_AUTH_TOKEN and without --no-auth it refuses to start, explaining both options, exit 1', async (t) => {
  const run = await runMonohub(['proxy', '--port', String(await freePort())])
  t.equal(run.code, 1)
  t.match(run.stderr, 'refusing to start')
  t.match(run.stderr, 'CONFIGPROXY_AUTH_TOKEN')
  t.match(run.stderr, '--no-auth')
})

t.test('with --no-auth it starts, warns loudly, and the API answers without a token', async (t) => {
  const proxy = await startMonohubProxy(t, { token: null, args: ['--no-auth'] })
  t.match(proxy.stdout(), 'THE ROUTE API IS NOT AUTHENTICATED')
  const res = await fetch(`${proxy.apiUrl}/api/routes`)
  t.equal(res.status, 200)
})

t.test('with a token the API refuses requests without it', async (t) => {
  const proxy = await startMonohubProxy(t)
  t.equal((await fetch(`${proxy.apiUrl}/api/routes`)).status, 403)
  t.equal((await proxy.api('/api/routes')).status, 200)
})

t.test('precedence: flags beat env, env beats the config file, the file beats defaults', async (t) => {
  const dir = await tempDir(t)
  const [flagPort, envPort, filePort, apiPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const file = join(dir, 'monohub.json')
  // Relative paths in the file are relative to the file.
  await writeFile(file, JSON.stringify({ ip: '127.0.0.1', apiIp: '127.0.0.1', port: filePort, apiPort: filePort + 1, dataDir: 'data', metricsIp: '127.0.0.1', metricsPort: apiPort }))
  // env MONOHUB_API_PORT beats the file's apiPort; --port beats MONOHUB_PORT; metricsPort comes from the file.
  const proxy = await startMonohubProxy(t, {
    listenFlags: false,
    port: flagPort,
    apiPort: envPort,
    args: ['--config', file, '--port', String(flagPort)],
    env: { MONOHUB_PORT: String(filePort), MONOHUB_API_PORT: String(envPort) },
  })
  t.equal((await fetch(`${proxy.url}/_chp_healthz`)).status, 200, 'public listener on the flag port')
  t.equal((await proxy.api('/api/routes')).status, 200, 'API on the env port')
  const metrics = await fetch(`http://127.0.0.1:${apiPort}/metrics`)
  t.equal(metrics.status, 200, 'metrics on the port from the file')
  t.match(proxy.stdout(), JSON.stringify(join(dir, 'data')), 'data dir resolved against the config file folder')
})
