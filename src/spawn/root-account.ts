/**
 * The unprivileged account a root hub runs the built-in demo server as
 * (`nobody`), and the one-time probe at start-up that it can: the account
 * must be able to run Node (process.execPath) and read the demo server's
 * files; its work dir is entered for it (see PROBE_SCRIPT's note). `npx -p node@24` as root
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
  | { ok: true; account: DemoAccount }
  | { ok: false; /** Why, for the start-up log: "Node (/root/…/node) is not reachable by nobody: /root is mode 0700". */ reason: string; /** What makes it work. */ fix: string }

export interface DemoAccountProbe {
  /** The Node binary the demo runs with (process.execPath). */
  execPath: string
  /** The demo server's entry file (demoServerEntry()). */
  entry: string
  /** The folder holding the per-user work dirs (created if missing, mode 0700); the probe starts there. */
  usersDir: string
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
export async function blockedOnTheWay(file: string, who: DemoAccount, need: 'x' | 'r'): Promise<string | undefined> {
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
  if (!permits(stat, who, need)) return `${absolute} is mode ${modeText(stat.mode)} (owner uid ${stat.uid})`
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

// Runs as the account: starting at all proves Node is reachable, reading the
// entry that the demo's files are. The working directory needs no search path
// from the account: the launch enters it before dropping to the account's uid
// (libuv chdirs, then setgid/setuid), and the demo lists it as '.'. The probe
// starts in usersDir the same way, so it fails too if that ever changes.
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
 * On success the usersDir exists (root's, 0700; each work dir in it is then
 * created owned by the account, 0700).
 */
export async function findDemoAccount(probe: DemoAccountProbe): Promise<DemoAccountResult> {
  const name = probe.accountName ?? 'nobody'
  const who = await lookUpAccount(name, probe.run)
  if (typeof who === 'string') return { ok: false, reason: who, fix: `create a system account '${name}' without privileges` }
  await fs.mkdir(probe.usersDir, { recursive: true, mode: 0o700 })
  const failure = await runProbe(probe, who)
  if (failure === '') return { ok: true, account: who }
  // Mode bits explain the usual failure (Node under /root, mode 0700).
  const nodeBlocked = await blockedOnTheWay(probe.execPath, who, 'x')
  const entryBlocked = await blockedOnTheWay(probe.entry, who, 'r')
  if (nodeBlocked !== undefined) {
    return { ok: false, reason: `Node (${probe.execPath}) is not reachable by ${name}: ${nodeBlocked}`, fix: 'install Node system-wide (e.g. under /usr/local or /opt) and start monohub with it' }
  }
  if (entryBlocked !== undefined) {
    return { ok: false, reason: `the demo server's files (${probe.entry}) are not readable by ${name}: ${entryBlocked}`, fix: 'install monohub where every account can read it (e.g. under /opt or /srv, not /root)' }
  }
  return { ok: false, reason: `running Node as ${name} in ${probe.usersDir} failed: ${failure}`, fix: `check that ${name} can run ${probe.execPath}` }
}
