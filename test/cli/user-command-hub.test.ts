/**
 * `monohub user|token` while a hub runs on the same data dir: the store is
 * locked by the hub, so the commands go through its REST API with the token
 * from hub-runtime.json — and the running hub sees each change at once.
 */
import { Readable } from 'node:stream'
import t from 'tap'
import { Command } from 'commander'
import { startHub } from '../helpers/hub.ts'
import { userCommand, type CliIo } from '../../src/cli/user-command.ts'
import { tokenCommand } from '../../src/cli/token-command.ts'
import { createCliToken, readRuntimeFile, writeRuntimeFile } from '../../src/hub/runtime-file.ts'
import { verifyPassword } from '../../src/auth/passwords.ts'

async function monohub(args: string[], input?: string) {
  const out = { stdout: '', stderr: '' }
  const io: CliIo = {
    stdin: Readable.from(input === undefined ? [] : [input]),
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    env: {},
  }
  const program = new Command('monohub').addCommand(userCommand(io)).addCommand(tokenCommand(io))
  const quiet = (c: Command): void => {
    c.exitOverride()
    c.commands.forEach(quiet)
  }
  quiet(program)
  let error: (Error & { code?: string }) | undefined
  try {
    await program.parseAsync(args, { from: 'user' })
  } catch (err) {
    error = err as Error & { code?: string }
  }
  return { ...out, error }
}

t.test('with a hub running, user and token commands go through its API', async (t) => {
  const running = await startHub(t)
  const { hub, dataDir } = running
  // The hub writes hub-runtime.json at start; write it here if this hub version does not yet.
  if ((await readRuntimeFile(dataDir)) === null) await writeRuntimeFile(dataDir, { url: running.url, token: createCliToken(hub) })
  const d = ['--data-dir', dataDir]

  const added = await monohub(['user', 'add', 'dana', '--password-stdin', ...d], 'danas password\n')
  t.equal(added.error, undefined)
  t.equal(added.stdout, "created user 'dana' with a password (through the running hub)\n")
  t.ok(hub.store.state.users.dana, 'the running hub has the user at once')
  t.ok(await verifyPassword('danas password', hub.store.state.users.dana!.passwordHash!))

  const list = JSON.parse((await monohub(['user', 'list', '--json', ...d])).stdout)
  t.ok(list.some((u: { name: string }) => u.name === 'dana'))
  t.ok(list.some((u: { name: string; admin: boolean }) => u.name === 'admin' && u.admin), 'the first admin too')

  const generation = hub.store.state.users.dana!.sessionGeneration
  t.equal((await monohub(['user', 'set-password', 'dana', ...d], 'another password')).error, undefined)
  t.ok(await verifyPassword('another password', hub.store.state.users.dana!.passwordHash!))
  t.equal(hub.store.state.users.dana!.sessionGeneration, generation + 1)

  t.equal((await monohub(['user', 'set-admin', 'dana', 'true', ...d])).stdout, "'dana' is now an admin (through the running hub)\n")
  t.equal(hub.store.state.users.dana?.admin, true)

  const made = await monohub(['token', 'create', 'dana', '--note', 'script', ...d])
  t.equal(made.error, undefined)
  const token = made.stdout.trim()
  t.match(made.stderr, /made through the running hub/)
  const me = await fetch(`${running.url}/hub/api/user`, { headers: { authorization: `token ${token}` } })
  t.equal(me.status, 200)
  t.equal(((await me.json()) as { name: string }).name, 'dana', 'the new token works against the hub')

  const exists = await monohub(['user', 'add', 'dana', ...d])
  t.equal(exists.error?.code, 'USER_EXISTS')
  t.equal(exists.error?.message, "user 'dana' already exists")
  const unknown = await monohub(['user', 'remove', 'nobody', ...d])
  t.equal(unknown.error?.code, 'NO_SUCH_USER')
  const badName = await monohub(['user', 'add', 'a/b', ...d])
  t.equal(badName.error?.code, 'BAD_USER_NAME', 'the same code as without a hub')
  t.match(badName.error?.message, /user name contains '\/'/)
  // fetch would resolve '.' and '..' in the URL (/hub/api/users/.. is /hub/api/): checked before the call.
  for (const dots of ['..', '.']) {
    const refused = await monohub(['user', 'add', dots, ...d])
    t.equal(refused.error?.code, 'BAD_USER_NAME', `'${dots}' is refused as a name`)
    t.match(refused.error?.message, /starts with '\.'/)
  }
  t.equal((await monohub(['user', 'remove', '..', ...d])).error?.code, 'BAD_USER_NAME')

  t.equal((await monohub(['user', 'remove', 'dana', ...d])).stdout, "removed user 'dana' and their API tokens (through the running hub)\n")
  t.notOk(hub.store.state.users.dana)
  t.equal((await fetch(`${running.url}/hub/api/user`, { headers: { authorization: `token ${token}` } })).status, 403, "dana's token died with her")
})

t.test('a runtime file left from an earlier start is refused with a clear message', async (t) => {
  const running = await startHub(t)
  await writeRuntimeFile(running.dataDir, { url: running.url, token: 'mh_stale-token-from-an-earlier-start' })
  const run = await monohub(['user', 'list', '--data-dir', running.dataDir])
  t.equal(run.error?.code, 'HUB_UNREACHABLE')
  t.match(run.error?.message, /refused the token in hub-runtime\.json .* restart the hub to rewrite it/)
})
