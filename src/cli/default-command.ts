/**
 * What `monohub` does with no subcommand. This will start the hub; until the
 * hub exists it says so and shows the help, and starts nothing.
 */
import type { Command } from 'commander'

export async function runDefault(program: Command): Promise<void> {
  program.outputHelp()
  process.stderr.write("\nthe hub ('monohub' with no subcommand) is not built yet — use 'monohub proxy' to run the proxy\n")
  process.exitCode = 1
}
