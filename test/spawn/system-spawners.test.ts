/**
 * system-user and systemd spawners. systemd is not running in the test
 * sandbox (no systemd as PID 1), so the systemd spawner is tested through the
 * exact command lines it builds, with a fake command runner; a real unit was
 * never started here. The system-user spawner runs a real server as the
 * existing 'nobody' account when the tests run as root, and creates a
 * throw-away account with the real useradd (removed again with userdel).
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { parsePasswdLine, resolveUnixAccount, unixAccountName } from '../../src/spawn/spawners/unix-account.ts'
import { environmentFile, systemdEscape, systemdRunArgs, systemdSpawner, unitName } from '../../src/spawn/spawners/systemd.ts'
import { systemUserSpawner } from '../../src/spawn/spawners/system-user.ts'
import type { CommandOutput, CommandRunner } from '../../src/spawn/spawners/run-command.ts'
import type { SpawnContext } from '../../src/spawn/spawner.ts'
import { get, startHub, tempDir, viaRoute } from './spawn-fixture.ts'

interface Call { file: string; args: string[] }

/** A runner that records calls and answers from a table of `file arg0` → output. */
function fakeRunner(answers: Record<string, CommandOutput | CommandOutput[]>): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = []
  const run: CommandRunner = async (file, args) => {
    calls.push({ file, args: [...args] })
    const answer = answers[`${file} ${args[0] ?? ''}`] ?? { code: 0, stdout: '', stderr: '' }
    return Array.isArray(answer) ? answer.shift() ?? { code: 0, stdout: '', stderr: '' } : answer
  }
  return { run, calls }
}

const ok = (stdout = ''): CommandOutput => ({ code: 0, stdout, stderr: '' })

t.test('Unix account names: prefix, and a clear refusal of names Unix tools would misread', async (t) => {
  t.equal(unixAccountName('alice'), 'alice')
  t.equal(unixAccountName('alice', 'jupyter-'), 'jupyter-alice')
  t.throws(() => unixAccountName('a@b.org'), { code: 'BAD_UNIX_NAME', message: /hub user 'a@b.org' cannot be a Unix account name/ })
  t.throws(() => unixAccountName('x'.repeat(33)), { code: 'BAD_UNIX_NAME' })
  t.same(parsePasswdLine('alice:x:1001:1002:Alice:/home/alice:/bin/bash\n'), { username: 'alice', uid: 1001, gid: 1002, home: '/home/alice', shell: '/bin/bash' })
  t.equal(parsePasswdLine('broken'), undefined)
})

t.test('a missing account is an error unless createUsers; then useradd with a private home', async (t) => {
  const missing = fakeRunner({ 'getent passwd': { code: 2, stdout: '', stderr: '' } })
  await t.rejects(resolveUnixAccount('bob', { run: missing.run }), { code: 'UNIX_ACCOUNT', message: "Unix account 'bob' does not exist — create it (useradd --create-home bob) or let monohub create accounts (createUsers: true)" })
  const create = fakeRunner({ 'getent passwd': [{ code: 2, stdout: '', stderr: '' }, ok('u-bob:x:1500:1500::/srv/home/u-bob:/bin/sh')] })
  const account = await resolveUnixAccount('bob', { run: create.run, createUsers: true, prefix: 'u-', homeTemplate: '/srv/home/{username}', shell: '/bin/sh' })
  t.same(account, { username: 'u-bob', uid: 1500, gid: 1500, home: '/srv/home/u-bob', shell: '/bin/sh' })
  t.same(create.calls, [
    { file: 'getent', args: ['passwd', 'u-bob'] },
    { file: 'useradd', args: ['--create-home', '--home-dir', '/srv/home/u-bob', '--user-group', '--shell', '/bin/sh', 'u-bob'] },
    { file: 'chmod', args: ['0700', '/srv/home/u-bob'] },
    { file: 'getent', args: ['passwd', 'u-bob'] },
  ])
  const failing = fakeRunner({ 'getent passwd': { code: 2, stdout: '', stderr: '' }, 'useradd --create-home': { code: 9, stdout: '', stderr: 'useradd: user exists' } })
  await t.rejects(resolveUnixAccount('bob', { run: failing.run, createUsers: true }), { message: /could not create Unix account 'bob': useradd --create-home --home-dir \/home\/bob .* exited with 9: useradd: user exists/ })
})

t.test('an account with uid 0 is refused', async (t) => {
  const root = fakeRunner({ 'getent passwd': ok('toor:x:0:0::/root:/bin/sh') })
  await t.rejects(resolveUnixAccount('toor', { run: root.run }), { message: /uid\/gid 0 \(root\) — refusing/ })
})

t.test('the real getent finds an existing account', async (t) => {
  const nobody = await resolveUnixAccount('nobody')
  t.equal(nobody.username, 'nobody')
  t.ok(nobody.uid > 0)
})

t.test('system-user on a hub that is not root says it needs root', async (t) => {
  const hub = await startHub(t, { spawner: systemUserSpawner({ getuid: () => 1000, cmd: 'demo' }) })
  await t.rejects(hub.manager.start('nobody'), { code: 'SPAWNER_CONFIG', message: /needs the hub to run as root/ })
})

/** Why the nobody account cannot run this test's Node (e.g. Node installed under /root, mode 0700), or false. */
function nobodyCannotRunNode(): string | false {
  if (process.getuid?.() !== 0) return 'needs root'
  const probe = spawnSync(process.execPath, ['-e', '0'], { uid: 65534, gid: 65534, timeout: 10_000 })
  return probe.status === 0 ? false : `the nobody account cannot run ${process.execPath} (is Node installed under a private folder such as /root?)`
}

t.test('system-user runs a real demo server as the nobody account', { skip: nobodyCannotRunNode() }, async (t) => {
  const hub = await startHub(t, { spawner: systemUserSpawner({ cmd: 'demo', workDirIn: 'hub-template', stopGraceMs: 2000 }) })
  await fs.chmod(hub.dataDir, 0o711) // nobody must reach its working dir inside the data dir
  await hub.manager.start('nobody')
  const pid = hub.pid('nobody')
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8')
  const nobody = await resolveUnixAccount('nobody')
  t.match(status, new RegExp(`\\nUid:\\s+${nobody.uid}\\s`), 'runs as nobody')
  const workDir = path.join(hub.dataDir, 'users', 'nobody')
  t.equal((await fs.stat(workDir)).uid, nobody.uid, 'working dir owned by the account')
  const { url, headers } = viaRoute(hub, '/user/nobody/')
  t.match(JSON.parse((await get(`${url}api`, headers)).body), { user: 'nobody', pid })
  await hub.manager.stop('nobody')
})

/** Why this machine cannot create a throw-away Unix account for the next test, or false. */
function cannotCreateAccounts(): string | false {
  const why = nobodyCannotRunNode()
  if (why !== false) return why
  return spawnSync('useradd', ['--help'], { timeout: 10_000 }).status === 0 ? false : 'useradd is not installed'
}

t.test('system-user with createUsers makes a real account (private home) and runs the demo server in it', { skip: cannotCreateAccounts() }, async (t) => {
  const homes = await tempDir(t)
  await fs.chmod(homes, 0o755)
  // A unique, obviously-test account name; removed again however the test ends.
  const user = `t${process.pid}${Date.now() % 100000}`
  const username = `mhtest-${user}`
  t.teardown(() => {
    spawnSync('pkill', ['-KILL', '-u', username], { timeout: 10_000 })
    spawnSync('userdel', ['--remove', username], { timeout: 10_000 })
  })
  const hub = await startHub(t, { spawner: systemUserSpawner({ cmd: 'demo', createUsers: true, prefix: 'mhtest-', homeTemplate: `${homes}/{username}`, shell: '/bin/sh', stopGraceMs: 2000 }) })
  await t.rejects(resolveUnixAccount(user, { prefix: 'mhtest-' }), { code: 'UNIX_ACCOUNT' }, 'no such account before the start')
  await hub.manager.start(user)
  const account = await resolveUnixAccount(user, { prefix: 'mhtest-' })
  t.match(account, { username, home: `${homes}/${username}`, shell: '/bin/sh' })
  t.ok(account.uid > 0 && account.gid > 0, 'an ordinary uid and gid')
  const home = await fs.stat(account.home)
  t.equal(home.mode & 0o777, 0o700, 'the home is private')
  t.equal(home.uid, account.uid, 'and owned by the account')
  const pid = hub.pid(user)
  t.match(await fs.readFile(`/proc/${pid}/status`, 'utf8'), new RegExp(`\\nUid:\\s+${account.uid}\\s`), 'the server runs as the new account')
  const { url, headers } = viaRoute(hub, `/user/${user}/`)
  t.match(JSON.parse((await get(`${url}api`, headers)).body), { user, pid })
  await hub.manager.stop(user)
  // A second start finds the account and does not create it again.
  await hub.manager.start(user)
  t.equal((await resolveUnixAccount(user, { prefix: 'mhtest-' })).uid, account.uid, 'the same account the next time')
  await hub.manager.stop(user)
})

t.test('systemd unit names escape like systemd-escape', async (t) => {
  t.equal(unitName('alice', ''), 'monohub-alice.service')
  t.equal(unitName('alice', 'lab'), 'monohub-alice-lab.service')
  t.equal(unitName('a-b', 'c'), 'monohub-a\\x2db-c.service', '- inside a name is escaped, so the separator is unambiguous')
  t.equal(systemdEscape('bob@example.org'), 'bob\\x40example.org')
  t.equal(systemdEscape('.x+é'), '\\x2ex\\x2b\\xc3\\xa9')
  t.equal(unitName('alice', '', 'jupyter-'), 'jupyter-alice.service')
})

t.test('systemd-run arguments, exactly', async (t) => {
  t.same(systemdRunArgs({
    unit: 'monohub-alice.service', uid: 1001, gid: 1002, workDir: '/home/alice', envFile: '/d/logs/alice/_default.env', logFile: '/d/logs/alice/_default.log',
    memoryMax: '2G', cpuQuotaPercent: 150, properties: ['TasksMax=512'], argv: ['/usr/bin/jupyterhub-singleuser', '--ip=127.0.0.1', '--port=9000'],
  }), [
    '--unit', 'monohub-alice.service', '--uid', '1001', '--gid', '1002', '--working-directory', '/home/alice', '--collect', '--quiet',
    '--property', 'EnvironmentFile=/d/logs/alice/_default.env',
    '--property', 'StandardOutput=append:/d/logs/alice/_default.log',
    '--property', 'StandardError=append:/d/logs/alice/_default.log',
    '--property', 'MemoryMax=2G', '--property', 'CPUQuota=150%', '--property', 'TasksMax=512',
    '--', '/usr/bin/jupyterhub-singleuser', '--ip=127.0.0.1', '--port=9000',
  ])
  t.equal(environmentFile({ A: 'x y', B: 'q"$`\\', C: 'l1\nl2' }), 'A="x y"\nB="q\\"\\$\\`\\\\"\nC="l1\\nl2"\n')
})

function context(dir: string, options: Record<string, number | string> = {}): SpawnContext {
  return {
    user: 'alice', serverName: '', baseUrl: '/user/alice/', env: { JUPYTERHUB_API_TOKEN: 'api-secret', JUPYTERHUB_USER: 'alice' },
    options, workDir: path.join(dir, 'users', 'alice'), logFile: path.join(dir, 'logs', 'alice', '_default.log'), signal: new AbortController().signal,
  }
}

t.test('systemd start: account, env file 0600 (tokens not on the command line), limits from options; poll and stop', async (t) => {
  const dir = await tempDir(t)
  const fake = fakeRunner({ 'getent passwd': ok('alice:x:1001:1002::/home/alice:/bin/bash') })
  const spawner = systemdSpawner({ run: fake.run, cmd: 'demo', properties: ['TasksMax=512'] })
  t.same(spawner.optionsForm!().fields.map((f) => f.name), ['memory', 'cpus'])
  const result = await spawner.start(context(dir, { memory: '4G', cpus: 1.5 }), () => {})
  t.type(result.token, 'string', 'the demo gets a token for the proxy to inject')
  const run = fake.calls.find((c) => c.file === 'systemd-run')!
  t.match(run.args, ['--unit', 'monohub-alice.service', '--uid', '1001', '--gid', '1002', '--working-directory', '/home/alice'])
  t.ok(run.args.includes('MemoryMax=4G') && run.args.includes('CPUQuota=150%') && run.args.includes('TasksMax=512'))
  t.notOk(run.args.join(' ').includes(result.token!), 'no token on the command line')
  t.notOk(run.args.join(' ').includes('api-secret'))
  t.same(fake.calls.find((c) => c.file === 'systemctl')?.args, ['reset-failed', 'monohub-alice.service'])
  const envFile = path.join(dir, 'logs', 'alice', '_default.env')
  t.equal((await fs.stat(envFile)).mode & 0o777, 0o600)
  const envText = await fs.readFile(envFile, 'utf8')
  t.match(envText, `MONOHUB_SERVER_TOKEN="${result.token}"`)
  t.match(envText, 'JUPYTERHUB_API_TOKEN="api-secret"')
  t.match(envText, /JUPYTERHUB_SERVICE_URL="http:\/\/127\.0\.0\.1:\d+\/user\/alice\/"/)
  t.match(envText, 'HOME="/home/alice"')
  t.match(result.state, { unit: 'monohub-alice.service', uid: 1001, gid: 1002 })

  const active = fakeRunner({ 'systemctl is-active': ok() })
  t.equal(await systemdSpawner({ run: active.run }).poll(result.state), 'running')
  t.same(active.calls[0], { file: 'systemctl', args: ['is-active', '--quiet', 'monohub-alice.service'] })
  const inactive = fakeRunner({ 'systemctl is-active': { code: 3, stdout: 'inactive', stderr: '' } })
  t.equal(await systemdSpawner({ run: inactive.run }).poll(result.state), 'stopped')
  const stop = fakeRunner({ 'systemctl stop': { code: 5, stdout: '', stderr: 'Unit not loaded' } })
  await systemdSpawner({ run: stop.run }).stop(result.state)
  t.same(stop.calls[0], { file: 'systemctl', args: ['stop', 'monohub-alice.service'] })
  const stuck = fakeRunner({ 'systemctl stop': { code: 1, stdout: '', stderr: 'Access denied' } })
  await t.rejects(systemdSpawner({ run: stuck.run }).stop(result.state), { code: 'SYSTEMD_STOP', message: /Access denied/ })
})

t.test('systemd-run failing (e.g. no systemd, as in this sandbox) is a clear error without the token', async (t) => {
  const dir = await tempDir(t)
  const fake = fakeRunner({ 'getent passwd': ok('alice:x:1001:1002::/home/alice:/bin/bash'), 'systemd-run --unit': { code: 1, stdout: '', stderr: 'System has not been booted with systemd as init system (PID 1). Can\'t operate.' } })
  const error = await systemdSpawner({ run: fake.run, cmd: 'demo' }).start(context(dir), () => {}).then(() => undefined, (e: unknown) => e) as Error & { code: string }
  t.equal(error.code, 'SYSTEMD_RUN')
  t.match(error.message, /^systemd-run --unit monohub-alice\.service .* exited with 1: System has not been booted with systemd/)
  t.match(error.message, /is systemd running and the hub root\?/)
})
