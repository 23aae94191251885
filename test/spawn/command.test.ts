import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { demoServerEntry, fillPlaceholders, findOnPath, resolveCommand, splitCommandLine } from '../../src/spawn/spawners/command.ts'
import { processSpawner, ROOT_REFUSAL } from '../../src/spawn/spawners/process.ts'
import { SpawnError } from '../../src/spawn/errors.ts'
import { get, startHub, tempDir, viaRoute } from './spawn-fixture.ts'

const tiny = fileURLToPath(new URL('./fixtures/tiny-server.mjs', import.meta.url))

t.test('auto finds Debian\'s jupyterhub-singleuser on PATH', { skip: findOnPath('jupyterhub-singleuser', '/usr/bin') === undefined && 'jupyterhub-singleuser is not installed here' }, async (t) => {
  const cmd = resolveCommand('auto', '/usr/bin:/bin')
  t.equal(cmd.kind, 'jupyterhub')
  t.equal(cmd.file, '/usr/bin/jupyterhub-singleuser')
  t.same(cmd.args, ['--ip={ip}', '--port={port}'])
})

t.test('auto falls back to jupyter-lab, then to the demo server', async (t) => {
  const dir = await tempDir(t)
  t.match(resolveCommand('auto', dir), { kind: 'demo', file: process.execPath, args: [demoServerEntry(), '--ip={ip}', '--port={port}', '--base-url={base_url}'] })
  await fs.writeFile(path.join(dir, 'jupyter-lab'), '#!/bin/sh\n', { mode: 0o755 })
  t.match(resolveCommand('auto', dir), { kind: 'jupyter', file: path.join(dir, 'jupyter-lab'), args: ['--ip={ip}', '--port={port}', '--no-browser', '--ServerApp.base_url={base_url}'] })
  await fs.writeFile(path.join(dir, 'jupyterhub-singleuser'), 'not executable', { mode: 0o644 })
  t.equal(resolveCommand('auto', dir).kind, 'jupyter', 'a file that is not executable is skipped')
})

t.test('the demo entry exists beside the spawner (main.ts from src, main.js from dist)', async (t) => {
  t.match(demoServerEntry(), /demo-server[/\\]main\.ts$/)
  await fs.access(demoServerEntry())
})

t.test('a configured command: kind from its name, not found names the program and PATH', async (t) => {
  t.equal(resolveCommand([process.execPath, 'x.js'], '').kind, 'custom')
  t.equal(resolveCommand([process.execPath], '', { jupyterhub: true }).kind, 'jupyterhub')
  const error = (() => { try { resolveCommand(['nope-monohub'], '/nowhere') } catch (e) { return e } })() as SpawnError
  t.type(error, SpawnError)
  t.equal(error.code, 'COMMAND_NOT_FOUND')
  t.equal(error.message, "command 'nope-monohub' was not found on PATH (/nowhere) — install it, give its full path, or use --cmd auto / demo")
  t.throws(() => resolveCommand([], ''), { code: 'COMMAND_NOT_FOUND' })
})

t.test('placeholders are filled everywhere in an argument; unknown braces stay', async (t) => {
  const values = { port: '8888', base_url: '/user/a/', user: 'a', server: '', ip: '127.0.0.1', token: 'T' }
  t.same(fillPlaceholders(['--bind={ip}:{port}', '{base_url}lab', '{user}{server}', '{token}', '{x}', '{{port}}'], values),
    ['--bind=127.0.0.1:8888', '/user/a/lab', 'a', 'T', '{x}', '{8888}'])
})

t.test('splitCommandLine splits like a shell without expanding anything', async (t) => {
  t.same(splitCommandLine('code-server  --bind-addr 127.0.0.1:{port} --auth none'), ['code-server', '--bind-addr', '127.0.0.1:{port}', '--auth', 'none'])
  t.same(splitCommandLine(`a 'b c' "d \\"e\\" \\\\" f\\ g '' $HOME`), ['a', 'b c', 'd "e" \\', 'f g', '', '$HOME'])
  t.throws(() => splitCommandLine('a "b'), /unclosed "/)
  t.throws(() => splitCommandLine("a 'b"), /unclosed '/)
  t.same(splitCommandLine('   '), [])
})

t.test('a root hub refuses the process spawner with a message pointing to system-user and systemd', async (t) => {
  const hub = await startHub(t, { spawner: processSpawner({ getuid: () => 0, cmd: 'demo' }) })
  const error = await hub.manager.start('root-test').then(() => undefined, (e: unknown) => e) as SpawnError
  t.equal(error.code, 'SPAWNER_CONFIG')
  t.match(error.message, ROOT_REFUSAL)
  t.match(error.message, /--spawner system-user/)
  t.match(error.message, /--spawner systemd/)
  t.match(error.message, /allowRoot: true/)
  t.equal(hub.manager.status('root-test'), undefined)
})

t.test('allowRoot runs servers on a root hub, with --allow-root for jupyterhub-singleuser', async (t) => {
  // A fake jupyterhub-singleuser that runs the tiny server with the arguments it was given.
  const bin = await tempDir(t)
  const fake = path.join(bin, 'jupyterhub-singleuser')
  await fs.writeFile(fake, `#!/bin/sh\nexec "${process.execPath}" "${tiny}" "$@"\n`, { mode: 0o755 })
  const auto = await startHub(t, {
    spawner: processSpawner({ getuid: () => 0, allowRoot: true, path: `${bin}:/usr/bin:/bin`, stopGraceMs: 2000 }),
  })
  await auto.manager.start('rooty')
  const route = viaRoute(auto, '/user/rooty/')
  t.same(route.headers, {}, 'jupyterhub-singleuser gets no injected token (it does OAuth with the hub)')
  const answer = JSON.parse((await get(route.url)).body)
  t.same(answer.args, ['--ip=127.0.0.1', `--port=${new URL(route.url).port}`, '--allow-root'])
  t.equal(answer.env.MONOHUB_SERVER_TOKEN, undefined)
  t.equal(auto.routes.routes.get('/user/rooty/')!.data.authToken, undefined)
})
