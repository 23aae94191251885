/**
 * The Unix account a user's server runs as (system-user and systemd
 * spawners): '<prefix><name>' — no prefix by default — looked up with
 * `getent passwd`, optionally created with `useradd` and a private home.
 * Never root, and never a name Unix tools would misread.
 */
import { SpawnError } from '../errors.ts'
import { runCommand, showCommand, type CommandRunner } from './run-command.ts'

export interface UnixAccount {
  username: string
  uid: number
  gid: number
  home: string
  shell: string
}

export interface UnixAccountOptions {
  /** Prepended to the hub user name (e.g. 'jupyter-'); default ''. */
  prefix?: string
  /** Create missing accounts with useradd (default false). */
  createUsers?: boolean
  /** Home of created accounts; {username} is filled (default '/home/{username}'). */
  homeTemplate?: string
  /** Shell of created accounts (default '/bin/bash'). */
  shell?: string
  /** For tests: runs getent / useradd / chmod. */
  run?: CommandRunner
}

/** What useradd accepts on Debian by default (NAME_REGEX), at most 32 characters. */
const UNIX_NAME = /^[a-z_][a-z0-9_-]{0,30}[$]?$/

export function unixAccountName(user: string, prefix = ''): string {
  const name = `${prefix}${user}`
  if (!UNIX_NAME.test(name)) {
    throw new SpawnError('BAD_UNIX_NAME', 500,
      `hub user '${user}' cannot be a Unix account name ('${name}'): Unix names are lower-case letters, digits, _ and -, at most 32 characters, starting with a letter — ` +
      'use a spawner that does not need Unix accounts (process, script) or restrict user names')
  }
  return name
}

/** Parses one `getent passwd` line. */
export function parsePasswdLine(line: string): UnixAccount | undefined {
  const f = line.trim().split(':')
  if (f.length < 7) return undefined
  const uid = Number(f[2])
  const gid = Number(f[3])
  if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(gid)) return undefined
  return { username: f[0]!, uid, gid, home: f[5]!, shell: f[6]! }
}

export async function resolveUnixAccount(user: string, options: UnixAccountOptions = {}): Promise<UnixAccount> {
  const run = options.run ?? runCommand
  const name = unixAccountName(user, options.prefix)
  const lookup = async (): Promise<UnixAccount | undefined> => {
    const out = await run('getent', ['passwd', name])
    // getent: 2 = not found.
    if (out.code === 2) return undefined
    if (out.code !== 0) throw new SpawnError('UNIX_ACCOUNT', 500, `could not look up Unix account '${name}' (getent exited with ${out.code}: ${out.stderr.trim()})`)
    return parsePasswdLine(out.stdout)
  }
  let account = await lookup()
  if (account === undefined) {
    if (options.createUsers !== true) {
      throw new SpawnError('UNIX_ACCOUNT', 500,
        `Unix account '${name}' does not exist — create it (useradd --create-home ${name}) or let monohub create accounts (createUsers: true)`)
    }
    const home = (options.homeTemplate ?? '/home/{username}').replaceAll('{username}', name)
    const args = ['--create-home', '--home-dir', home, '--user-group', '--shell', options.shell ?? '/bin/bash', name]
    const created = await run('useradd', args)
    if (created.code !== 0) throw new SpawnError('UNIX_ACCOUNT', 500, `could not create Unix account '${name}': ${showCommand('useradd', args)} exited with ${created.code}: ${created.stderr.trim()}`)
    const chmod = await run('chmod', ['0700', home])
    if (chmod.code !== 0) throw new SpawnError('UNIX_ACCOUNT', 500, `created '${name}' but could not make ${home} private: ${chmod.stderr.trim()}`)
    account = await lookup()
    if (account === undefined) throw new SpawnError('UNIX_ACCOUNT', 500, `created Unix account '${name}', but getent does not find it`)
  }
  if (account.uid === 0 || account.gid === 0) {
    throw new SpawnError('UNIX_ACCOUNT', 500, `Unix account '${name}' has uid/gid 0 (root) — refusing to run a user's server as root`)
  }
  return account
}
