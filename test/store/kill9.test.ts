/**
 * "Acknowledged means durable, also across kill -9": a child process sets
 * routes as fast as it can and prints each one only after set() resolved; we
 * SIGKILL it mid-stream, reopen the data dir and look for every printed route.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openRoutes } from '../../src/proxy/open-routes.ts'
import { tempDir } from './temp-dir.ts'

const fixture = fileURLToPath(new URL('./fixtures/set-routes-until-killed.ts', import.meta.url))

/** Runs the fixture for about `runMs` after it is ready, kills it, and returns the complete lines it printed. */
async function runAndKill(dataDir: string, runMs: number, compactAfterBytes?: number): Promise<string[]> {
  const args = [fixture, dataDir, ...(compactAfterBytes === undefined ? [] : [String(compactAfterBytes)])]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => (output += chunk))
  const exited = once(child, 'exit')
  const deadline = Date.now() + 10_000
  while (!output.startsWith('ready\n') && child.exitCode === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  await new Promise((resolve) => setTimeout(resolve, runMs))
  child.kill('SIGKILL')
  const [code, signal] = await exited
  if (signal !== 'SIGKILL') throw new Error(`fixture ended by itself (code ${code}) — output: ${output.slice(0, 500)}`)
  const lines = output.split('\n')
  lines.pop() // a line cut by the kill was never finished
  return lines.slice(1)
}

/** The test context tap hands to a subtest. */
type TestContext = Parameters<Parameters<typeof t.test>[0]>[0]

/**
 * A snapshot holding `count` routes, so that every compaction in the child
 * takes a while (serialise + write + fsync): a kill then often lands inside one.
 */
async function writeBigSnapshot(dir: string, count: number): Promise<void> {
  const routes: Record<string, unknown> = {}
  for (let i = 0; i < count; i++) routes[`/pre/p${i}`] = { data: { target: `http://127.0.0.1:${20000 + (i % 1000)}` }, lastActivity: 1 }
  await fs.writeFile(path.join(dir, 'routes.json'), JSON.stringify({ version: 1, journalSegment: 1, state: { routes } }))
}

async function checkEveryAcknowledgedChange(t: TestContext, compactAfterBytes?: number, preRoutes = 0): Promise<void> {
  const dir = await tempDir(t)
  if (preRoutes > 0) await writeBigSnapshot(dir, preRoutes)
  const printed = await runAndKill(dir, 1000, compactAfterBytes)
  const set = printed.filter((line) => line.startsWith('/'))
  const deleted = new Set(printed.filter((line) => line.startsWith('-')).map((line) => line.slice(1)))
  t.ok(set.length > 200, `the child acknowledged ${set.length} sets and ${deleted.size} deletes before the kill`)

  const { routes, close } = await openRoutes(dir, { onWarning: () => {} })
  t.teardown(close)
  const missing: string[] = []
  const wrong: string[] = []
  const resurrected: string[] = []
  for (const path of set) {
    const route = routes.get(path)
    if (deleted.has(path)) {
      if (route !== undefined) resurrected.push(path)
      continue
    }
    const i = Number(path.slice('/user/u'.length))
    if (route === undefined) {
      // Every 7th route is deleted right after its set: that delete may be durable but unprinted.
      if (i % 7 !== 0) missing.push(path)
      continue
    }
    if (route.data.target !== `http://127.0.0.1:${10000 + (i % 50000)}` || route.data.user !== `u${i}`) wrong.push(path)
  }
  for (let i = 0; i < preRoutes; i++) if (routes.get(`/pre/p${i}`) === undefined) missing.push(`/pre/p${i}`)
  t.same(missing, [], 'every acknowledged route is there')
  t.same(wrong, [], 'with its data')
  t.same(resurrected, [], 'and every acknowledged delete stayed deleted')
}

t.test('every acknowledged route survives kill -9', (t) => checkEveryAcknowledgedChange(t))

t.test('every acknowledged route survives kill -9 with compaction running all the time', (t) =>
  checkEveryAcknowledgedChange(t, 16 * 1024, 30_000))
