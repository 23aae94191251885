/**
 * `monohub token create <user>`: make an API token for a user from a shell
 * (e.g. for a service or script). The token is printed once, alone on
 * stdout, so `TOKEN=$(monohub token create alice)` works; details go to
 * stderr. Safe while a hub runs (see user-command.ts).
 */
import { Command } from 'commander'
import { dataDirOption, processIo, resolveDataDir, withHubAdmin, type CliIo } from './user-command.ts'
import { HubAdminError } from '../hub/api/hub-admin.ts'

function parseSeconds(value: string): number {
  const n = Number(value)
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new HubAdminError('BAD_ARGUMENT', `--expires-in takes a whole number of seconds ≥ 1, got '${value}'`)
  return n
}

export function tokenCommand(io: CliIo = processIo()): Command {
  const token = new Command('token').description('manage API tokens').helpOption('-h, --help', 'show help and exit').helpCommand(false)
  token
    .command('create <user>')
    .description('make an API token for <user> and print it (shown once; only its hash is kept)')
    .helpOption('-h, --help', 'show help and exit')
    .option('--note <text>', 'what the token is for (shown in token lists)')
    .option('--scopes <list>', "comma-separated JupyterHub scopes, e.g. 'read:users,list:users' (default: inherit — all the user's own)")
    .option('--expires-in <seconds>', 'lifetime in seconds (default: no expiry)')
    .option('--json', 'print the token model with the token as JSON')
    .addOption(dataDirOption())
    .action(async (user: string, opts: { note?: string; scopes?: string; expiresIn?: string; json?: boolean; dataDir?: string }) => {
      const scopes = opts.scopes?.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
      const expiresIn = opts.expiresIn === undefined ? undefined : parseSeconds(opts.expiresIn)
      await withHubAdmin(resolveDataDir(opts.dataDir, io), async (admin) => {
        const made = await admin.createToken(user, {
          ...(opts.note === undefined ? {} : { note: opts.note }),
          ...(scopes === undefined ? {} : { scopes }),
          ...(expiresIn === undefined ? {} : { expiresIn }),
        })
        if (opts.json === true) {
          io.stdout.write(JSON.stringify(made, null, 2) + '\n')
        } else {
          io.stdout.write(`${made.token}\n`)
          const scopeList = Array.isArray(made.scopes) ? made.scopes.join(', ') : ''
          io.stderr.write(`token ${String(made.id)} for '${String(made.user)}' (scopes: ${scopeList}; expires: ${String(made.expires_at ?? 'never')})${admin.via === 'hub' ? ' made through the running hub' : ''} — it is shown only now; store it safely\n`)
        }
      })
    })
  return token
}
