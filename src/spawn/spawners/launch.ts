/**
 * Launches a server as a detached child: its own process group (so stop can
 * signal everything it started), stdout and stderr appended to its log file,
 * unref'd so the hub can exit (or restart) while it keeps running. Resolves
 * once the OS has started it, or rejects with a clear error (ENOENT, EACCES).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import { SpawnError } from '../errors.ts'
import { processStartTime } from './process-identity.ts'

export interface LaunchRequest {
  file: string
  args: string[]
  env: Record<string, string>
  cwd: string
  logFile: string
  uid?: number
  gid?: number
}

export interface Launched {
  pid: number
  startTime: string | null
}

/** Exit reasons of servers this hub process launched, by pid (the hub is their parent until it restarts). */
const exits = new Map<number, string>()

/** 'exited with code 1' / 'killed by SIGKILL' for a server this process launched, if it has exited. */
export function exitReason(pid: number): string | undefined {
  return exits.get(pid)
}

export function launch(request: LaunchRequest): Promise<Launched> {
  const logFd = fs.openSync(request.logFile, 'a', 0o600)
  return new Promise<Launched>((resolve, reject) => {
    const child = spawn(request.file, request.args, {
      cwd: request.cwd,
      env: request.env,
      detached: true,
      stdio: ['ignore', logFd, logFd],
      ...(request.uid === undefined ? {} : { uid: request.uid }),
      ...(request.gid === undefined ? {} : { gid: request.gid }),
    })
    child.once('error', (error: NodeJS.ErrnoException) => {
      fs.closeSync(logFd)
      const what = error.code === 'ENOENT'
        ? `command '${request.file}' was not found (or its working directory ${request.cwd} is missing)`
        : error.code === 'EACCES'
          ? `command '${request.file}' is not executable by the server's user`
          : `command '${request.file}' could not be started: ${error.message}`
      reject(new SpawnError('COMMAND_FAILED', 500, `${what} — check the spawner's cmd setting`, { cause: error }))
    })
    child.once('spawn', () => {
      fs.closeSync(logFd)
      const pid = child.pid!
      child.once('exit', (code, signal) => {
        exits.set(pid, signal === null ? `exited with code ${code}` : `was killed by ${signal}`)
        // Forget after a while: the pid may be reused.
        setTimeout(() => exits.delete(pid), 10 * 60_000).unref()
      })
      child.unref()
      resolve({ pid, startTime: processStartTime(pid) })
    })
  })
}
