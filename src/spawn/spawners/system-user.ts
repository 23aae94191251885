/**
 * The `system-user` spawner: like `process`, but each server runs as its
 * user's own Unix account (see unix-account.ts), in that account's home
 * (or the lifecycle's working dir, chowned to it). The hub must run as root.
 */
import type { Spawner } from '../spawner.ts'
import { SpawnerConfigError } from '../errors.ts'
import { createLocalSpawner, type LocalServerOptions } from './local-server.ts'
import { resolveUnixAccount, type UnixAccountOptions } from './unix-account.ts'

export interface SystemUserSpawnerOptions extends LocalServerOptions, UnixAccountOptions {
  /** Run in the account's home (default) or in the lifecycle's working dir (chowned to the account). */
  workDirIn?: 'home' | 'hub-template'
  /** Injectable for tests (default process.getuid). */
  getuid?: () => number
}

export function systemUserSpawner(options: SystemUserSpawnerOptions = {}): Spawner {
  const getuid = options.getuid ?? (() => process.getuid?.() ?? -1)
  return createLocalSpawner('system-user', options, async (ctx) => {
    const account = await resolveUnixAccount(ctx.user, options)
    if (getuid() !== 0 && getuid() !== account.uid) {
      throw new SpawnerConfigError(`the system-user spawner runs servers as each user's Unix account, which needs the hub to run as root — run monohub as root (e.g. its systemd unit) or use --spawner process`)
    }
    return {
      username: account.username,
      uid: account.uid,
      gid: account.gid,
      home: account.home,
      shell: account.shell,
      workDir: options.workDirIn === 'hub-template' ? ctx.workDir : account.home,
      root: false,
    }
  })
}
