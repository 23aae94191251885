/**
 * The `process` spawner (the default): each server is a child process run as
 * the hub's own OS user, in its own working directory (default
 * `<data-dir>/users/<name>`, mode 0700). A hub running as root refuses to
 * use it unless told to, so nobody runs every user's server as root by accident.
 */
import os from 'node:os'
import type { Spawner } from '../spawner.ts'
import { SpawnerConfigError } from '../errors.ts'
import { createLocalSpawner, type LocalServerOptions } from './local-server.ts'

export interface ProcessSpawnerOptions extends LocalServerOptions {
  /** Run servers even though the hub runs as root (they then run as root too). */
  allowRoot?: boolean
  /** Injectable for tests (default process.getuid). */
  getuid?: () => number
}

export const ROOT_REFUSAL =
  'the hub runs as root, and the process spawner would run every user\'s server as root too — ' +
  'use --spawner system-user (each user\'s server runs as their own Unix account) or --spawner systemd ' +
  '(transient units with limits), or set allowRoot: true if you really mean it'

export function processSpawner(options: ProcessSpawnerOptions = {}): Spawner {
  const getuid = options.getuid ?? (() => process.getuid?.() ?? -1)
  const me = os.userInfo()
  return createLocalSpawner('process', options, async (ctx) => {
    const root = getuid() === 0
    if (root && options.allowRoot !== true) throw new SpawnerConfigError(ROOT_REFUSAL)
    return {
      username: me.username,
      home: ctx.workDir,
      shell: me.shell ?? '/bin/sh',
      workDir: ctx.workDir,
      root,
    }
  })
}
