/**
 * The `monohub` command line: root program, its subcommands, and how
 * parse errors end (exit 2 with a pointer to --help).
 */
import { readFileSync } from 'node:fs'
import { Command } from 'commander'
import { proxyCommand } from './proxy-command.ts'
import { runDefault } from './default-command.ts'
import type { ProxyConfig } from '../config/proxy-schema.ts'

/** The running program's version, from package.json (two folders up from src/cli and dist/cli alike). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

export interface ProgramActions {
  startProxy: (config: ProxyConfig) => Promise<void>
}

export function buildProgram(actions: ProgramActions): Command {
  const program = new Command('monohub')
    .description('a multi-user hub and a configurable-http-proxy replacement in one Node.js process')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help and exit')
    .helpCommand(false)
    .showSuggestionAfterError(true)
    .allowExcessArguments(true)
    .action(async (_options: unknown, command: Command) => {
      const [word] = command.args
      if (word !== undefined) {
        const known = program.commands.map((c) => c.name()).join(', ')
        program.error(`error: unknown command '${word}' (commands: ${known})`, { code: 'commander.unknownCommand' })
      }
      await runDefault(program)
    })

  program.addCommand(proxyCommand(actions.startProxy))
  // The hub's other subcommands (user, token, systemd-unit, cluster) are added here as they are built.

  // Parse errors: commander prints "error: …"; add where to look, and exit 2.
  const configure = (command: Command): void => {
    command.exitOverride()
    command.showHelpAfterError(`(run '${command.parent === null ? 'monohub' : `monohub ${command.name()}`} --help' to see the options)`)
    for (const sub of command.commands) configure(sub)
  }
  configure(program)
  return program
}
