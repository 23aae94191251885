import { mkdtemp, rm } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { Command } from 'commander'
import { userCommand, type CliIo } from '../../src/cli/user-command.ts'
import { tokenCommand } from '../../src/cli/token-command.ts'
import { openHubStore } from '../../src/hub/hub-store.ts'
import { verifyPassword } from '../../src/auth/passwords.ts'
import { writeRuntimeFile } from '../../src/hub/runtime-file.ts'

interface Run {
  stdout: string
  stderr: string
  error: (Error & { code?: string }) | undefined
}

/** Runs `monohub <args>` for the user and token commands in this process, with `input` on stdin. */
async function monohub(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const out = { stdout: '', stderr: '' }
  const io: CliIo = {
    stdin: Readable.from(options.input === undefined ? [] : [options.input]),
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    env: options.env ?? {},
  }
  const program = new Command('monohub').addCommand(userCommand(io)).addCommand(tokenCommand(io))
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: (s) => (out.stdout += s), writeErr: (s) => (out.stderr += s) })
    c.commands.forEach(quiet)
  }
  quiet(program)
  let error: Run['error']
  try {
    await program.parseAsync(args, { from: 'user' })
  } catch (err) {
    error = err as Run['error']
  }
  return { ...out, error }
}

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'monohub-cli-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

async function records(dataDir: string) {
  const store = await openHubStore(dataDir)
  const state = structuredClone(store.state)
  await store.close()
  return state
}

t.test('offline: add, list, set-password, set-admin, token create and remove change the store directly', async (t) => {
  const dir = await tempDir(t)
  const d = ['--data-dir', dir]
  const added = await monohub(['user', 'add', 'Alice', '--admin', '--password-stdin', ...d], { input: 'a long password\n' })
  t.equal(added.error, undefined)
  t.equal(added.stdout, "created user 'alice' (admin) with a password\n")
  t.equal((await monohub(['user', 'add', 'bob', ...d])).stdout, "created user 'bob'\n")
  let state = await records(dir)
  t.equal(state.users.alice?.admin, true)
  t.ok(await verifyPassword('a long password', state.users.alice!.passwordHash!), 'the password from stdin, without its newline')

  const table = await monohub(['user', 'list', ...d])
  t.match(table.stdout, /^NAME\s+ADMIN\s+CREATED\s+LAST ACTIVITY\nalice\s+yes\s+\d{4}-\d\d-\d\dT[\d:.]+Z\s+-\nbob\s+no/)
  const json = JSON.parse((await monohub(['user', 'list', '--json', ...d])).stdout)
  t.same(json.map((u: { name: string; kind: string }) => [u.name, u.kind]), [['alice', 'user'], ['bob', 'user']])

  const generation = state.users.bob!.sessionGeneration
  const setPassword = await monohub(['user', 'set-password', 'bob', ...d], { input: 'bobs new password' })
  t.equal(setPassword.error, undefined)
  t.match(setPassword.stdout, /password of 'bob' set; their browser sessions were ended/)
  state = await records(dir)
  t.ok(await verifyPassword('bobs new password', state.users.bob!.passwordHash!))
  t.equal(state.users.bob!.sessionGeneration, generation + 1)

  t.equal((await monohub(['user', 'set-admin', 'bob', 'true', ...d])).stdout, "'bob' is now an admin\n")
  t.equal((await records(dir)).users.bob?.admin, true)
  t.equal((await monohub(['user', 'set-admin', 'bob', 'false', ...d])).stdout, "'bob' is no longer an admin\n")

  const made = await monohub(['token', 'create', 'bob', '--note', 'ci', '--scopes', 'read:users!user=bob', '--expires-in', '3600', ...d])
  t.equal(made.error, undefined)
  const token = made.stdout.trim()
  t.match(token, /^mh_\S{43}$/, 'only the token on stdout')
  t.match(made.stderr, /for 'bob' \(scopes: read:users!user=bob; expires: \d{4}-.*Z\) — it is shown only now/)
  state = await records(dir)
  const record = Object.values(state.tokens)[0]!
  t.match(record, { owner: 'bob', note: 'ci', scopes: ['read:users!user=bob'] })
  t.notOk(JSON.stringify(state).includes(token), 'the store has the hash, not the token')

  const removed = await monohub(['user', 'remove', 'bob', ...d])
  t.equal(removed.stdout, "removed user 'bob' and their API tokens\n")
  state = await records(dir)
  t.notOk(state.users.bob)
  t.same(state.tokens, {})
})

t.test('MONOHUB_DATA_DIR picks the data dir when --data-dir is not given', async (t) => {
  const dir = await tempDir(t)
  t.equal((await monohub(['user', 'add', 'carol'], { env: { MONOHUB_DATA_DIR: dir } })).error, undefined)
  t.ok((await records(dir)).users.carol)
})

t.test('errors say what is wrong: exists, unknown, bad name, bad value, no or short password, scopes', async (t) => {
  const dir = await tempDir(t)
  const d = ['--data-dir', dir]
  await monohub(['user', 'add', 'alice', ...d])
  const cases: Array<[string[], string | undefined, string, RegExp]> = [
    [['user', 'add', 'alice'], undefined, 'USER_EXISTS', /user 'alice' already exists/],
    [['user', 'remove', 'nobody'], undefined, 'NO_SUCH_USER', /no user 'nobody' — see `monohub user list`/],
    [['user', 'add', '../etc'], undefined, 'BAD_USER_NAME', /starts with '\.' — allowed: letters/],
    [['user', 'set-admin', 'alice', 'yes'], undefined, 'BAD_ARGUMENT', /expected true or false, got 'yes'/],
    [['user', 'set-password', 'alice'], '', 'NO_PASSWORD', /no password on stdin/],
    [['user', 'set-password', 'alice'], 'short\n', 'PASSWORD_POLICY', /at least 8/],
    [['user', 'set-password', 'nobody'], 'long enough pw\n', 'NO_SUCH_USER', /no user 'nobody'/],
    [['token', 'create', 'alice', '--scopes', 'admin:users'], undefined, 'SCOPES_NOT_HELD', /does not hold these scopes.*admin:users/],
    [['token', 'create', 'alice', '--scopes', 'fly'], undefined, 'BAD_SCOPE', /unknown scope 'fly'/],
    [['token', 'create', 'alice', '--expires-in', '1h'], undefined, 'BAD_ARGUMENT', /whole number of seconds/],
  ]
  for (const [args, input, code, message] of cases) {
    const run = await monohub([...args, ...d], input === undefined ? {} : { input })
    t.equal(run.error?.code, code, args.join(' '))
    t.match(run.error?.message, message, args.join(' '))
  }
})

t.test('a data dir held by a process that left no runtime file, or a hub that does not answer: a clear error', async (t) => {
  const dir = await tempDir(t)
  const store = await openHubStore(dir)
  t.teardown(() => store.close())
  const noFile = await monohub(['user', 'list', '--data-dir', dir])
  t.equal(noFile.error?.code, 'HUB_UNREACHABLE')
  t.match(noFile.error?.message, /in use by process \d+, which left no .*hub-runtime\.json/)
  const closed = net.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as net.AddressInfo).port
  await new Promise((resolve) => closed.close(resolve))
  await writeRuntimeFile(dir, { url: `http://127.0.0.1:${port}`, token: 'mh_x' })
  const dead = await monohub(['user', 'list', '--data-dir', dir])
  t.equal(dead.error?.code, 'HUB_UNREACHABLE')
  t.match(dead.error?.message, `does not answer at http://127.0.0.1:${port} (ECONNREFUSED)`)
})

t.test('--help lists every subcommand and option', async (t) => {
  const user = await monohub(['user', '--help'])
  for (const word of ['add', 'remove', 'list', 'set-password', 'set-admin']) t.match(user.stdout, new RegExp(`\\n  ${word} `))
  const add = (await monohub(['user', 'add', '--help'])).stdout
  for (const option of ['--admin', '--password-stdin', '--data-dir <dir>', 'MONOHUB_DATA_DIR']) t.ok(add.includes(option), option)
  t.match((await monohub(['token', 'create', '--help'])).stdout, /--note[\s\S]*--scopes[\s\S]*--expires-in[\s\S]*--data-dir/)
})
