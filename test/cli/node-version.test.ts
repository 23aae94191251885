/**
 * On a Node older than 22.19 the CLI says which Node it needs and how to get
 * it, instead of crashing inside a dependency. Uses the machine's own older
 * Node when there is one.
 */
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

const bin = join(resolve(import.meta.dirname, '../..'), 'bin/monohub')
const candidates = ['/usr/local/bin/node', '/usr/bin/node']

function versionOf(node: string): [number, number] | undefined {
  try {
    const [major, minor] = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number)
    return [major!, minor!]
  } catch {
    return undefined
  }
}

const oldNode = candidates.find((node) => {
  if (!existsSync(node)) return false
  const version = versionOf(node)
  return version !== undefined && (version[0] < 22 || (version[0] === 22 && version[1] < 19))
})

t.test('an old Node gets a clear message naming the version it needs', { skip: oldNode === undefined ? 'no Node older than 22.19 on this machine' : false }, async (t) => {
  const run = spawnSync(oldNode!, [bin, '--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } })
  t.equal(run.status, 1)
  t.match(run.stderr, /monohub needs Node\.js 22\.19 or newer; this is v\d+/)
  t.match(run.stderr, /npx -y -p node@24/)
  t.notMatch(run.stderr, /TypeError|at Object/, 'no stack trace')
})
