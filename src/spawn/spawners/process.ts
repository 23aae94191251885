/**
 * The `process` spawner (the default): each server is a child process run as
 * the hub's own OS user, in its own working directory (default
 * `<data-dir>/users/<name>`, mode 0700). A hub running as root refuses to
 * use it unless told to, so nobody runs every user's server as root by accident.
 *
 * Two narrower ways exist for a root hub's zero-config default (chosen by
 * hub-servers.ts, reasoning in root-default.ts): `runAs` runs every server
 * as an unprivileged account (`nobody`), and `rootDemo` lets only the
 * built-in demo server run as root.
 */
import os from 'node:os'
import type { Spawner } from '../spawner.ts'
import { SpawnerConfigError } from '../errors.ts'
import { refuseEveryStart } from '../root-refusal.ts'
import { createLocalSpawner, type LocalServerOptions } from './local-server.ts'

export interface ProcessSpawnerOptions extends LocalServerOptions {
  /** Run servers even though the hub runs as root (they then run as root too). */
  allowRoot?: boolean
  /** Injectable for tests (default process.getuid). */
  getuid?: () => number
  /**
   * Run every server as this account instead of the hub's own (needs a root
   * hub). The work dir is created owned by it, mode 0700.
   */
  runAs?: { username: string; uid: number; gid: number }
  /**
   * On a root hub without allowRoot, run the built-in demo server as root
   * anyway. Honoured only with cmd 'demo': the demo runs no user code (see
   * root-default.ts); every other command is still refused.
   */
  rootDemo?: boolean
}

export const ROOT_REFUSAL =
  'the hub runs as root, and the process spawner would run every user\'s server (and any code in it) as root too — ' +
  'use --spawner system-user (each user\'s server runs as their own Unix account; createUsers creates missing ones) ' +
  'or --spawner systemd (transient units with limits), or --cmd demo for the built-in demo server, ' +
  'or set allowRoot: true (--allow-root) if you really mean it'

export function processSpawner(options: ProcessSpawnerOptions = {}): Spawner {
  const getuid = options.getuid ?? (() => process.getuid?.() ?? -1)
  const me = os.userInfo()
  const runAs = options.runAs
  // The hub's uid does not change while it runs: decide once, so the pages can tell before a start.
  const root = getuid() === 0
  const demoAsRoot = options.rootDemo === true && options.cmd === 'demo'
  const refusal = root && runAs === undefined && options.allowRoot !== true && !demoAsRoot ? new SpawnerConfigError(ROOT_REFUSAL) : undefined
  const spawner = createLocalSpawner('process', options, async (ctx) => {
    if (refusal !== undefined) throw new SpawnerConfigError(refusal.message)
    if (runAs !== undefined) {
      if (!root && getuid() !== runAs.uid) throw new SpawnerConfigError(`the process spawner is set to run servers as ${runAs.username}, which needs the hub to run as root`)
      return { username: runAs.username, uid: runAs.uid, gid: runAs.gid, home: ctx.workDir, shell: '/bin/sh', workDir: ctx.workDir, root: runAs.uid === 0 }
    }
    return {
      username: me.username,
      home: ctx.workDir,
      shell: me.shell ?? '/bin/sh',
      workDir: ctx.workDir,
      root,
    }
  })
  if (refusal !== undefined) refuseEveryStart(spawner, refusal)
  return spawner
}
