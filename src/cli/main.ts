#!/usr/bin/env node
/**
 * Entry point of the `monohub` CLI (bin/monohub imports the compiled file).
 * Turns every way of failing into an exit code and one readable message:
 * errors with a stable `code` are shown as their message only; anything else
 * is a bug and shows its stack.
 */
import { CommanderError } from 'commander'
import { buildProgram } from './program.ts'
import { startProxyProcess } from '../server/proxy-process.ts'
import { stopOnSignals } from '../server/signals.ts'
import type { ProxyConfig } from '../config/proxy-schema.ts'

async function startProxy(config: ProxyConfig): Promise<void> {
  const running = await startProxyProcess(config)
  stopOnSignals(running)
}

/** An error meant for people: an ExplainedError, or any error (a config module's own) with a string `code` and a numeric `status`. */
function isExplained(err: unknown): err is Error & { code: string; exitCode?: number } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { status?: unknown }).status === 'number'
}

/**
 * `monohub --help | head` closes the pipe early: that is the reader's
 * choice, not a failure, so stop quietly instead of crashing on EPIPE.
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
    process.exit(process.exitCode ?? 0)
  })
}

export async function main(argv: readonly string[]): Promise<void> {
  exitQuietlyOnClosedPipe(process.stdout)
  const program = buildProgram({ startProxy })
  try {
    await program.parseAsync(argv as string[])
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with exitCode 0; parse errors were already printed.
      process.exitCode = err.exitCode === 0 ? 0 : 2
    } else if (isExplained(err)) {
      process.stderr.write(`error: ${err.message}\n`)
      process.exitCode = err.exitCode ?? 1
    } else {
      process.stderr.write(`monohub failed unexpectedly — this is a bug, please report it:\n${(err as Error)?.stack ?? String(err)}\n`)
      process.exitCode = 1
    }
  }
}

await main(process.argv)
