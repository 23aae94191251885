/**
 * The unprivileged account a root hub runs the built-in demo server as
 * (`nobody`), and the one-time probe at start-up that it can: the account
 * must be able to run Node (process.execPath), read the demo server's files
 * and reach the folder of the per-user work dirs. `npx -p node@24` as root
 * keeps Node under /root (mode 0700), which `nobody` cannot reach — then the
 * probe says why, and the caller falls back (see root-default.ts).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import path from 'node:path'
import { runCommand, type CommandRunner } from './spawners/run-command.ts'
import { parsePasswdLine } from './spawners/unix-account.ts'

export interface DemoAccount {
  username: string
  uid: number
  gid: number
}

export type DemoAccountResult =
  | { ok: true; account: DemoAccount; /** Folders given search permission for others (o+x) so the account reaches its work dir. */ opened: string[] }
  | { ok: false; /** Why, for the start-up log: "Node (/root/…/node) is not reachable by nobody: /root is mode 0700". */ reason: string; /** What makes it work. */ fix: string }

export interface DemoAccountProbe {
  /** The Node binary the demo runs with (process.execPath). */
  execPath: string
  /** The demo server's entry file (demoServerEntry()). */
  entry: string
  /** The folder holding the per-user work dirs (created if missing). */
  usersDir: string
  /** The hub's data dir: folders from here down to usersDir may be opened with o+x. */
  dataDir: string
  /** Default 'nobody'. */
  accountName?: string
  /** Runs getent (tests inject). */
  run?: CommandRunner
  /** How long the probe process may take (default 10 s: a busy machine starts Node slowly). */
  timeoutMs?: number
}

/** Whether the account may search (x) / read (r) a file with these stat bits, by plain Unix modes. */
function permits(stat: { uid: number; gid: number; mode: number }, who: DemoAccount, need: 'x' | 'r'): boolean {
  const shift = stat.uid === who.uid ? 6 : stat.gid === who.gid ? 3 : 0
  return (stat.mode & ((need === 'x' ? 0o1 : 0o4) << shift)) !== 0
}

function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`
}

/**
 * The first folder on the way to `file` the account cannot search, or the
 * file itself when it lacks `need` — described for a person; undefined when
 * every mode bit allows it (ACLs and MAC are left to the real probe).
 */
export async function blockedOnTheWay(file: string, who: DemoAccount, need: 'x' | 'r' | 'dir'): Promise<string | undefined> {
  const absolute = path.resolve(file)
  const parts = absolute.split(path.sep).filter((p) => p !== '')
  let dir: string = path.sep
  for (let i = 0; i < parts.length; i++) {
    const stat = await fs.stat(dir).catch(() => undefined)
    if (stat === undefined) return `${dir} does not exist`
    if (!permits(stat, who, 'x')) return `${dir} is mode ${modeText(stat.mode)} (owner uid ${stat.uid})`
    dir = path.join(dir, parts[i]!)
  }
  const stat = await fs.stat(absolute).catch(() => undefined)
  if (stat === undefined) return `${absolute} does not exist`
  const wanted = need === 'r' ? 'r' : 'x'
  if (!permits(stat, who, wanted)) return `${absolute} is mode ${modeText(stat.mode)} (owner uid ${stat.uid})`
  return undefined
}

/** The account named `name` from `getent passwd`; never root. */
export async function lookUpAccount(name: string, run: CommandRunner = runCommand): Promise<DemoAccount | string> {
  const out = await run('getent', ['passwd', name])
  const found = out.code === 0 ? parsePasswdLine(out.stdout.split('\n')[0] ?? '') : undefined
  if (found === undefined) return `there is no '${name}' account (getent passwd ${name} found none)`
  if (found.uid === 0 || found.gid === 0) return `the '${name}' account has uid or gid 0`
  return { username: found.username, uid: found.uid, gid: found.gid }
}

/** Folders from `top` down to `bottom` (both included), when bottom is inside top. */
function chainBetween(top: string, bottom: string): string[] {
  const rel = path.relative(top, bottom)
  if (rel.startsWith('..') || path.isAbsolute(rel)) return []
  const chain = [top]
  let dir = top
  for (const part of rel.split(path.sep).filter((p) => p !== '')) {
    dir = path.join(dir, part)
    chain.push(dir)
  }
  return chain
}

/**
 * Lets the account reach usersDir through the data dir: adds o+x (search,
 * not list) to the hub-owned folders from dataDir down to usersDir. Only when
 * the folders above dataDir already let it through — otherwise it would open
 * the data dir for nothing. Files in it stay 0600 and folders unlistable.
 */
async function openWayIn(probe: DemoAccountProbe, who: DemoAccount): Promise<string[]> {
  const chain = chainBetween(path.resolve(probe.dataDir), path.resolve(probe.usersDir))
  if (chain.length === 0) return []
  if (await blockedOnTheWay(path.dirname(chain[0]!), who, 'dir') !== undefined) return []
  const opened: string[] = []
  const me = process.getuid?.()
  for (const dir of chain) {
    const stat = await fs.stat(dir)
    if (permits(stat, who, 'x') || stat.uid !== me) continue
    await fs.chmod(dir, (stat.mode & 0o7777) | 0o001)
    opened.push(dir)
  }
  return opened
}

// Runs as the account: reading the entry proves the demo's files are reachable;
// starting at all proves Node is, and the working directory that the usersDir is.
const PROBE_SCRIPT = 'require("node:fs").readFileSync(process.argv[1])'

/** Runs Node as the account in usersDir, reading the entry; resolves '' on success, else what went wrong. */
function runProbe(probe: DemoAccountProbe, who: DemoAccount): Promise<string> {
  const limitMs = probe.timeoutMs ?? 10_000
  return new Promise((resolve) => {
    let stderr = ''
    const child = spawn(probe.execPath, ['-e', PROBE_SCRIPT, probe.entry], {
      cwd: probe.usersDir, uid: who.uid, gid: who.gid, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'],
    })
    // Our own timer (not spawn's `timeout`, which outlives a child that never started).
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    const done = (failure: string): void => {
      clearTimeout(timer)
      resolve(failure)
    }
    child.stderr.on('data', (chunk: Buffer) => { if (stderr.length < 2000) stderr += chunk.toString() })
    child.once('error', (error) => done(`it could not be started: ${error.message}`))
    child.once('close', (code, signal) => {
      if (code === 0) done('')
      else if (signal !== null) done(`it was killed by ${signal}${signal === 'SIGKILL' ? ` (no answer within ${limitMs / 1000} s)` : ''}`)
      else done(`it exited with code ${code}: ${stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? stderr.trim().slice(0, 200)}`)
    })
  })
}

/**
 * Finds the account and checks, once, that it can run the demo server.
 * On success the usersDir exists and the account can reach it.
 */
export async function findDemoAccount(probe: DemoAccountProbe): Promise<DemoAccountResult> {
  const name = probe.accountName ?? 'nobody'
  const who = await lookUpAccount(name, probe.run)
  if (typeof who === 'string') return { ok: false, reason: who, fix: `create a system account '${name}' without privileges` }
  // Mode bits explain the usual failure (Node under /root, 0700); the real
  // probe below decides (ACLs or a security module may say otherwise).
  const nodeBlocked = await blockedOnTheWay(probe.execPath, who, 'x')
  const entryBlocked = await blockedOnTheWay(probe.entry, who, 'r')
  await fs.mkdir(probe.usersDir, { recursive: true, mode: 0o700 })
  // Open the data dir only when the demo can otherwise run as the account.
  const opened = nodeBlocked === undefined && entryBlocked === undefined ? await openWayIn(probe, who) : []
  const failure = await runProbe(probe, who)
  if (failure === '') return { ok: true, account: who, opened }
  if (nodeBlocked !== undefined) {
    return { ok: false, reason: `Node (${probe.execPath}) is not reachable by ${name}: ${nodeBlocked}`, fix: 'install Node system-wide (e.g. under /usr/local or /opt) and start monohub with it' }
  }
  if (entryBlocked !== undefined) {
    return { ok: false, reason: `the demo server's files (${probe.entry}) are not readable by ${name}: ${entryBlocked}`, fix: 'install monohub where every account can read it (e.g. under /opt or /srv, not /root)' }
  }
  const dirBlocked = await blockedOnTheWay(probe.usersDir, who, 'dir')
  if (dirBlocked !== undefined) {
    return { ok: false, reason: `the users' work dirs (${probe.usersDir}) are not reachable by ${name}: ${dirBlocked}`, fix: 'use a --data-dir outside /root (e.g. /var/lib/monohub)' }
  }
  return { ok: false, reason: `running Node as ${name} in ${probe.usersDir} failed: ${failure}`, fix: `check that ${name} can run ${probe.execPath}` }
}
