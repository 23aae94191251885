/**
 * `monohub proxy`: a configurable-http-proxy replacement. Parses CHP's
 * command line, loads the config (flags > env > file > defaults) and starts
 * the proxy process; stays up until SIGTERM/SIGINT.
 */
import { Command, Option } from 'commander'
import { loadProxyConfig } from '../config/proxy-config.ts'
import { ConfigError } from '../config/errors.ts'
import type { ProxyConfig } from '../config/proxy-schema.ts'
import { helpSuffix, proxyFlags, unsupportedProxyFlags } from './proxy-flags.ts'

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value]

const envHelp = `
Environment:
  CONFIGPROXY_AUTH_TOKEN              token the route API requires (header "Authorization: token <t>");
                                      without it monohub refuses to start unless --no-auth is given
  CONFIGPROXY_SSL_KEY_PASSPHRASE      passphrase of --ssl-key
  CONFIGPROXY_API_SSL_KEY_PASSPHRASE  passphrase of --api-ssl-key
  MONOHUB_CONFIG                      same as --config
  MONOHUB_<SETTING>                   any setting above, e.g. MONOHUB_PORT=8000, MONOHUB_LOG_LEVEL=debug

Precedence: flags, then MONOHUB_* env, then the --config file, then defaults.
The config file is JSON with the settings in camelCase, e.g. {"port": 8000, "apiPort": 8001, "dataDir": "/var/lib/monohub"};
relative paths in it are relative to the file.

configurable-http-proxy flags monohub refuses (with an error, never silently):
${unsupportedProxyFlags.map((u) => `  ${u.flags.padEnd(34)}${u.reason}`).join('\n')}

Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 could not start or run, 2 wrong command line or config.`

export function proxyCommand(start: (config: ProxyConfig) => Promise<void>): Command {
  const command = new Command('proxy')
    .description('run only the proxy, with a configurable-http-proxy compatible route API (so JupyterHub can use monohub as its proxy)')
    .helpOption('-h, --help', 'show help and exit')
    .option('--config <file>', 'JSON config file with settings by name (env MONOHUB_CONFIG)')

  for (const spec of proxyFlags) {
    const option = new Option(spec.flags, `${spec.help} ${helpSuffix(spec)}`)
    if (spec.repeatable === true) option.argParser(collect)
    command.addOption(option)
  }
  for (const unsupported of unsupportedProxyFlags) command.addOption(new Option(unsupported.flags).hideHelp())
  command.addHelpText('after', envHelp)

  command.action(async (_options: Record<string, unknown>, cmd: Command) => {
    const flags: Record<string, unknown> = {}
    const flagOf: Record<string, string> = {}
    for (const option of cmd.options) {
      const attribute = option.attributeName()
      if (cmd.getOptionValueSource(attribute) !== 'cli') continue
      const unsupported = unsupportedProxyFlags.find((u) => u.flags.split(' ')[0] === option.long)
      if (unsupported !== undefined) throw new ConfigError(`${option.long} is not supported by monohub: ${unsupported.reason}`)
      const spec = proxyFlags.find((s) => s.flags.split(' ')[0] === option.long)
      if (spec === undefined) continue
      flags[spec.key] = cmd.getOptionValue(attribute)
      flagOf[spec.key] = option.long ?? spec.key
    }
    const env = process.env
    const configFile = (cmd.getOptionValue('config') as string | undefined) ?? (env.MONOHUB_CONFIG || undefined)
    const config = loadProxyConfig({ flags, flagOf: (key) => flagOf[key] ?? key, configFile, env, cwd: process.cwd() })
    await start(config)
  })
  return command
}
