/**
 * `monohub user add|remove|list|set-password|set-admin`: manage the hub's
 * accounts from a shell. Safe while a hub runs on the same data dir: the
 * change then goes through that hub's REST API (one writer); otherwise the
 * store is opened here, and its lock keeps a hub from starting meanwhile.
 * Passwords come from stdin or a hidden prompt, never from the command line
 * (where `ps` and shell history would show them).
 */
import path from 'node:path'
import readline from 'node:readline'
import { Writable, type Readable } from 'node:stream'
import { Command, Option } from 'commander'
import { openHubAdmin } from '../hub/api/open-hub-admin.ts'
import type { HubAdmin } from '../hub/api/hub-admin.ts'
import { HubAdminError } from '../hub/api/hub-admin.ts'

/** Where commands read and write; tests pass their own. */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean }
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
  env: Record<string, string | undefined>
}

export const processIo = (): CliIo => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })

export const DEFAULT_DATA_DIR = './monohub-data'

export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', `the hub's data dir (env MONOHUB_DATA_DIR; default ${DEFAULT_DATA_DIR})`)
}

export function resolveDataDir(flag: string | undefined, io: CliIo): string {
  return path.resolve(flag ?? (io.env.MONOHUB_DATA_DIR || DEFAULT_DATA_DIR))
}

/** Runs `work` on the hub's records (directly or through the running hub) and closes them after. */
export async function withHubAdmin<T>(dataDir: string, work: (admin: HubAdmin) => Promise<T>): Promise<T> {
  const admin = await openHubAdmin(dataDir)
  try {
    return await work(admin)
  } finally {
    await admin.close()
  }
}

function where(admin: HubAdmin): string {
  return admin.via === 'hub' ? ' (through the running hub)' : ''
}

async function readAll(stream: Readable): Promise<string> {
  let text = ''
  stream.setEncoding('utf8')
  for await (const chunk of stream) text += chunk as string
  return text
}

/** A password piped on stdin: the first line, without its line ending. */
export async function passwordFromStdin(io: CliIo): Promise<string> {
  const text = await readAll(io.stdin)
  const line = text.split(/\r?\n/, 1)[0] ?? ''
  if (line.length === 0) throw new HubAdminError('NO_PASSWORD', 'no password on stdin — pipe it in, e.g. `printf %s "$PASSWORD" | monohub user set-password alice`')
  return line
}

async function promptHidden(io: CliIo, prompt: string): Promise<string> {
  io.stderr.write(prompt)
  // Echo goes to a sink, so the password is never shown.
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() })
  const rl = readline.createInterface({ input: io.stdin, output: sink, terminal: true })
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve))
  } finally {
    rl.close()
    io.stderr.write('\n')
  }
}

/** Stdin when piped; a hidden prompt, asked twice, on a terminal. */
export async function readNewPassword(io: CliIo, name: string): Promise<string> {
  if (io.stdin.isTTY !== true) return passwordFromStdin(io)
  const first = await promptHidden(io, `New password for ${name}: `)
  const second = await promptHidden(io, 'Repeat it: ')
  if (first !== second) throw new HubAdminError('PASSWORD_MISMATCH', 'the two passwords differ — nothing was changed')
  return first
}

function parseBoolean(value: string): boolean {
  if (value === 'true') return true
  if (value === 'false') return false
  throw new HubAdminError('BAD_ARGUMENT', `expected true or false, got '${value}'`)
}

function listTable(users: Record<string, unknown>[]): string {
  const rows = users.map((u) => [String(u.name), u.admin === true ? 'yes' : 'no', String(u.created ?? '-'), String(u.last_activity ?? '-')])
  const header = ['NAME', 'ADMIN', 'CREATED', 'LAST ACTIVITY']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n') + '\n'
}

const footer = `
Works whether or not a hub is running on the data dir: with one running, changes go
through its REST API (it wrote <data dir>/hub-runtime.json at start); without one, the
records are changed here directly.`

export function userCommand(io: CliIo = processIo()): Command {
  const user = new Command('user').description("manage the hub's user accounts").helpOption('-h, --help', 'show help and exit').helpCommand(false).addHelpText('after', footer)
  const sub = (name: string, description: string) =>
    user.command(name).description(description).helpOption('-h, --help', 'show help and exit').addOption(dataDirOption())

  sub('add <name>', 'create a user (names are lower-cased; letters, digits and . _ - @ +)')
    .option('--admin', 'make the user an admin')
    .option('--password-stdin', 'read a password for the local login from stdin (first line)')
    .action(async (name: string, opts: { admin?: boolean; passwordStdin?: boolean; dataDir?: string }) => {
      const password = opts.passwordStdin === true ? await passwordFromStdin(io) : undefined
      await withHubAdmin(resolveDataDir(opts.dataDir, io), async (admin) => {
        const created = await admin.addUser(name, { admin: opts.admin === true, ...(password === undefined ? {} : { password }) })
        io.stdout.write(`created user '${String(created.name)}'${created.admin === true ? ' (admin)' : ''}${password === undefined ? '' : ' with a password'}${where(admin)}\n`)
      })
    })

  sub('remove <name>', 'delete a user and their API tokens')
    .action(async (name: string, opts: { dataDir?: string }) => {
      await withHubAdmin(resolveDataDir(opts.dataDir, io), async (admin) => {
        await admin.removeUser(name)
        io.stdout.write(`removed user '${name.toLowerCase()}' and their API tokens${where(admin)}\n`)
      })
    })

  sub('list', 'list users, oldest first')
    .option('--json', 'print JupyterHub user models as a JSON array')
    .action(async (opts: { json?: boolean; dataDir?: string }) => {
      await withHubAdmin(resolveDataDir(opts.dataDir, io), async (admin) => {
        const users = await admin.listUsers()
        io.stdout.write(opts.json === true ? JSON.stringify(users, null, 2) + '\n' : listTable(users))
      })
    })

  sub('set-password <name>', "set a user's password (from stdin, or a hidden prompt on a terminal); ends their sessions")
    .action(async (name: string, opts: { dataDir?: string }) => {
      const dataDir = resolveDataDir(opts.dataDir, io)
      const password = await readNewPassword(io, name)
      await withHubAdmin(dataDir, async (admin) => {
        await admin.setPassword(name, password)
        io.stdout.write(`password of '${name.toLowerCase()}' set; their browser sessions were ended${where(admin)}\n`)
      })
    })

  sub('set-admin <name> <value>', 'make a user an admin (true) or not (false)')
    .action(async (name: string, value: string, opts: { dataDir?: string }) => {
      const admin = parseBoolean(value)
      await withHubAdmin(resolveDataDir(opts.dataDir, io), async (hub) => {
        const updated = await hub.setAdmin(name, admin)
        io.stdout.write(`'${String(updated.name)}' is ${admin ? 'now an admin' : 'no longer an admin'}${where(hub)}\n`)
      })
    })

  return user
}
