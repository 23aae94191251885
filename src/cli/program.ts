/**
 * The `monohub` command line: root program (runs the hub), its subcommands,
 * and how parse errors end (exit 2 with a pointer to --help).
 *
 * Subcommands are listed in `subcommands`: a new one is one line there.
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { proxyCommand } from './proxy-command.ts'
import { userCommand } from './user-command.ts'
import { tokenCommand } from './token-command.ts'
import { addHubOptions, hubConfigFromCommand, serveCommand } from './default-command.ts'
import type { ProxyConfig } from '../config/proxy-schema.ts'
import type { HubConfig } from '../config/hub-schema.ts'
import { stopOnSignals } from '../server/signals.ts'

/** The running program's version, from package.json (two folders up from src/cli and dist/cli alike). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

export interface ProgramActions {
  startProxy: (config: ProxyConfig) => Promise<void>
  /** Default: start the hub process and stop it on SIGTERM/SIGINT. */
  startHub?: (config: HubConfig) => Promise<void>
}

async function startHub(config: HubConfig): Promise<void> {
  // Loaded only here: the hub's code would add ~23 MiB to every `monohub proxy`.
  const { startHubProcess } = await import('../server/hub-process.ts')
  const running = await startHubProcess(config)
  stopOnSignals(running)
}

/** Every subcommand, in the order `--help` lists them. Add new ones here. */
export const subcommands: ReadonlyArray<(actions: ProgramActions) => Command> = [
  (actions) => serveCommand(actions.startHub ?? startHub),
  (actions) => proxyCommand(actions.startProxy),
  () => userCommand(),
  () => tokenCommand(),
]

export function buildProgram(actions: ProgramActions): Command {
  const program = new Command('monohub')
    .description('a multi-user hub and a configurable-http-proxy replacement in one Node.js process.\nWith no command: run the hub (pages and API under /hub/, the proxy for every other path).')
    .usage('[options] [command]')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help and exit')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .allowExcessArguments(true)
    // Options of the hub belong to the root only before a subcommand's name,
    // so `monohub proxy --port 9000` stays the proxy's --port.
    .enablePositionalOptions()
  addHubOptions(program)
  program.action(async (_options: unknown, command: Command) => {
    const [word] = command.args
    if (word !== undefined) {
      const known = program.commands.map((c) => c.name()).join(', ')
      program.error(`error: unknown command '${word}' (commands: ${known})`, { code: 'commander.unknownCommand' })
    }
    await (actions.startHub ?? startHub)(await hubConfigFromCommand(command))
  })

  for (const make of subcommands) program.addCommand(make(actions))

  // Parse errors: commander prints "error: …"; add where to look, and exit 2.
  const commandPath = (command: Command): string => (command.parent === null ? command.name() : `${commandPath(command.parent)} ${command.name()}`)
  const configure = (command: Command): void => {
    command.exitOverride()
    command.showHelpAfterError(`(run '${commandPath(command)} --help' to see the options)`)
    for (const sub of command.commands) configure(sub)
  }
  configure(program)
  return program
}
