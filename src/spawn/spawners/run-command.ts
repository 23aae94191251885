/**
 * Runs a short system command (getent, useradd, systemd-run, systemctl) and
 * collects its output. Injectable, so the spawners that use it can be tested
 * on machines without those tools or privileges.
 */
import { execFile } from 'node:child_process'

export interface CommandOutput {
  /** Exit code; -1 when it could not run or was killed. */
  code: number
  stdout: string
  stderr: string
}

export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandOutput>

export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: 30_000, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout: String(stdout), stderr: error !== null && code === -1 && stderr === '' ? error.message : String(stderr) })
    })
  })

/** `file a b` for messages. */
export function showCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ')
}
