/**
 * The process logger: pino, JSON lines by default (for journald, docker,
 * log shippers); human-readable via pino-pretty when stdout is a terminal.
 * Levels are CHP's names (debug, info, warn, error), which pino shares.
 */
import { pino, type Logger } from 'pino'
import pretty from 'pino-pretty'
import type { LogLevel } from '../config/fields.ts'

export type { Logger }

export interface LoggerOptions {
  level: LogLevel
  /** Default: when stdout is a TTY. */
  pretty?: boolean
  /** Default: stdout. */
  destination?: NodeJS.WritableStream
}

export function createLogger(options: LoggerOptions): Logger {
  const usePretty = options.pretty ?? process.stdout.isTTY === true
  const base = { level: options.level, base: { pid: process.pid } }
  if (usePretty) {
    // In-process and synchronous: no worker thread, nothing lost at exit.
    return pino(base, pretty({ sync: true, colorize: true, destination: options.destination ?? 1 }))
  }
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }))
}
