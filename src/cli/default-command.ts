/**
 * What `monohub` does with no subcommand (and `monohub serve`, its explicit
 * alias): run the hub — one server for the hub's pages and API under /hub/
 * and the proxy for everything else. Flags > MONOHUB_* env > --config file >
 * defaults; the flag table below generates the help text.
 */
import { Command, Option } from 'commander'
import { loadHubConfig } from '../config/hub-config.ts'
import { envName } from '../config/sources.ts'
import type { HubConfig, HubConfigKey } from '../config/hub-schema.ts'

interface HubFlag {
  flags: string
  key: HubConfigKey
  help: string
  defaultText?: string
}

export const hubFlags: readonly HubFlag[] = [
  { flags: '--ip <address>', key: 'ip', help: "address to listen on ('' or '*' = all interfaces)", defaultText: 'all interfaces' },
  { flags: '--port <n>', key: 'port', help: 'port to listen on', defaultText: '8000' },
  { flags: '--data-dir <dir>', key: 'dataDir', help: 'folder for the hub state (users, tokens, routes) and the 0600 secrets file', defaultText: './monohub-data' },
  { flags: '--log-level <level>', key: 'logLevel', help: 'debug, info, warn or error', defaultText: 'info' },
  { flags: '--ssl-key <file>', key: 'sslKey', help: 'TLS key: serve https (with --ssl-cert)' },
  { flags: '--ssl-cert <file>', key: 'sslCert', help: 'TLS certificate (with --ssl-key)' },
  { flags: '--public-url <url>', key: 'publicUrl', help: "the address people open, e.g. https://hub.example.org (behind a TLS front end; used for OAuth callbacks and Secure cookies)" },
  { flags: '--allow-signup', key: 'allowSignup', help: 'local accounts: let people sign up; an admin approves each new account', defaultText: 'off' },
  { flags: '--min-password-length <n>', key: 'minPasswordLength', help: 'shortest password accepted for local accounts', defaultText: '8' },
  { flags: '--authenticator <kind>', key: 'authenticator', help: 'local, oidc, github or header (options of the others go in the --config file)', defaultText: 'local' },
  { flags: '--allowed-users <names>', key: 'allowedUsers', help: 'comma-separated user names that may log in (oidc, github, header)' },
  { flags: '--admin-users <names>', key: 'adminUsers', help: 'comma-separated user names that are administrators' },
  { flags: '--allowed-groups <names>', key: 'allowedGroups', help: 'comma-separated groups whose members may log in' },
  { flags: '--admin-groups <names>', key: 'adminGroups', help: 'comma-separated groups whose members are administrators' },
  { flags: '--allowlist-file <file>', key: 'allowlistFile', help: 'file with one user name per line who may log in; re-read when it changes' },
  { flags: '--session-lifetime <seconds>', key: 'sessionLifetime', help: 'a login lasts at most this long', defaultText: '1209600 (14 days)' },
  { flags: '--session-idle-timeout <seconds>', key: 'sessionIdleTimeout', help: 'a login unused this long ends', defaultText: '259200 (3 days)' },
  { flags: '--spawner <kind>', key: 'spawner', help: "how users' servers run: process (child processes as the hub's user), demo (process, always the built-in demo server), system-user (each user's Unix account; hub as root), systemd (transient units with memory/CPU limits), script (your start/poll/stop executables; options in the --config file)", defaultText: 'process' },
  { flags: '--cmd <command>', key: 'cmd', help: "what a server runs: auto (jupyterhub-singleuser, else jupyter-lab / jupyter-server, else the built-in demo), demo, or a command line with {port} {base_url} {user} {server} {ip} {token}, e.g. --cmd 'jupyter-lab --ip={ip} --port={port} --ServerApp.base_url={base_url}'", defaultText: 'auto' },
  { flags: '--allow-root', key: 'allowRoot', help: 'on a root hub, let the process spawner run Jupyter or custom commands as root; without it a root hub runs the built-in demo (as nobody when possible) and refuses other commands (prefer --spawner system-user or systemd)', defaultText: 'off' },
  { flags: '--server-work-dir <template>', key: 'serverWorkDir', help: 'working directory of each server; {data_dir} and {user} are filled in', defaultText: '{data_dir}/users/{user}' },
  { flags: '--start-timeout <seconds>', key: 'startTimeout', help: 'a server that does not answer within this is stopped, and its log shown', defaultText: '90' },
  { flags: '--concurrent-spawn-limit <n>', key: 'concurrentSpawnLimit', help: 'most servers starting at once; more get 429 "try again in N s" (0 = no limit)', defaultText: '100' },
  { flags: '--allow-named-servers', key: 'allowNamedServers', help: 'users may run named servers at /user/<name>/<server>/ besides their default one', defaultText: 'off' },
  { flags: '--named-server-limit-per-user <n>', key: 'namedServerLimitPerUser', help: 'most named servers per user (0 = no limit)', defaultText: '0' },
  { flags: '--cull-idle-timeout <seconds>', key: 'cullIdleTimeout', help: 'stop servers idle this long (no traffic either way, no activity reports); they start again when their user comes back (0 = never)', defaultText: '0' },
  { flags: '--cull-max-age <seconds>', key: 'cullMaxAge', help: 'stop servers running this long, whatever their activity (0 = no limit)', defaultText: '0' },
  { flags: '--cull-interval <seconds>', key: 'cullInterval', help: 'how often idle servers are looked for (0 = a tenth of the idle timeout, 1 s to 5 min)', defaultText: '0' },
  { flags: '--server-poll-interval <seconds>', key: 'serverPollInterval', help: 'how often running servers are checked for having died (one the proxy cannot reach is checked at once)', defaultText: '30' },
]

const envHelp = `
Environment:
  MONOHUB_ADMIN_PASSWORD   password of the first 'admin' account (instead of a generated one, printed once)
  MONOHUB_COOKIE_SECRETS   comma-separated cookie keys (first signs, all verify); default: generated into <data-dir>/secrets.json
  MONOHUB_CONFIG           same as --config
  MONOHUB_<SETTING>        any setting above, e.g. MONOHUB_PORT=8000, MONOHUB_DATA_DIR=/var/lib/monohub

Precedence: flags, then MONOHUB_* env, then the --config file, then defaults.
The config file is JSON with the settings in camelCase, or a JS module (.js/.mjs) whose default
export is the settings object (it may pass its own authenticator object), e.g.
  {"port": 8000, "authenticator": {"kind": "oidc", "issuer": "https://id.example.org/realms/main",
   "clientId": "monohub", "clientSecret": "…"}, "adminUsers": ["alice"]}

Users' servers: log in, press Start; the server opens at /user/<name>/ through this process.
They keep running when the hub restarts (and are re-adopted). With the default --cmd auto and no
Jupyter installed, the built-in demo server runs (the start-up log says so). Spawner options go in
the config file, e.g.
  {"spawner": {"kind": "systemd", "memoryChoices": ["2G", "4G"], "maxCpus": 2}}
  {"spawner": {"kind": "script", "start": "/etc/monohub/start-vm", "poll": "/etc/monohub/poll-vm",
   "stop": "/etc/monohub/stop-vm"}}
A JS config module may pass its own spawner object ({name, start, poll, stop}).

First start: an 'admin' account is created and its password printed once, with the URL to open.

Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 could not start or run, 2 wrong command line or config.`

/** Adds the hub's options and help to `command` (the root program and `serve`). */
export function addHubOptions(command: Command): Command {
  command.option('--config <file>', 'config file: JSON, or a JS module exporting the settings (env MONOHUB_CONFIG)')
  for (const spec of hubFlags) {
    const env = envName(spec.key)
    command.addOption(new Option(spec.flags, `${spec.help}${spec.defaultText === undefined ? '' : ` (default: ${spec.defaultText})`} [${env}]`))
  }
  command.addHelpText('after', envHelp)
  return command
}

/** The hub config from a parsed command (only flags typed on the command line count). */
export async function hubConfigFromCommand(command: Command, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<HubConfig> {
  const flags: Record<string, unknown> = {}
  const flagOf: Record<string, string> = {}
  for (const spec of hubFlags) {
    const option = command.options.find((o) => o.long === spec.flags.split(' ')[0])
    if (option === undefined) continue
    const attribute = option.attributeName()
    if (command.getOptionValueSource(attribute) !== 'cli') continue
    flags[spec.key] = command.getOptionValue(attribute)
    flagOf[spec.key] = option.long ?? spec.key
  }
  const configFile = (command.getOptionValue('config') as string | undefined) ?? (env.MONOHUB_CONFIG || undefined)
  return loadHubConfig({ flags, flagOf: (key) => flagOf[key] ?? `--${key}`, configFile, env, cwd })
}

/** `monohub serve`: the explicit name of what plain `monohub` does. */
export function serveCommand(start: (config: HubConfig) => Promise<void>): Command {
  const command = new Command('serve')
    .description('run the hub (the same as plain `monohub`)')
    .helpOption('-h, --help', 'show help and exit')
  addHubOptions(command)
  command.action(async (_options: unknown, cmd: Command) => {
    await start(await hubConfigFromCommand(cmd))
  })
  return command
}
