/**
 * Picks how the CLI reaches a hub's records: directly when no hub holds the
 * store, else through the running hub (see hub-admin.ts).
 */
import { openHubStore } from '../hub-store.ts'
import { readRuntimeFile, runtimeFilePath } from '../runtime-file.ts'
import { StoreLockedError } from '../../store/errors.ts'
import { DirectHubAdmin } from './admin-direct.ts'
import { HttpHubAdmin } from './admin-http.ts'
import { HubAdminError, type HubAdmin } from './hub-admin.ts'

/** Opens the records of the hub in `dataDir`, directly or through the hub that has them open. */
export async function openHubAdmin(dataDir: string): Promise<HubAdmin> {
  try {
    return new DirectHubAdmin(await openHubStore(dataDir))
  } catch (err) {
    if (!(err instanceof StoreLockedError)) throw err
    const runtime = await readRuntimeFile(dataDir)
    if (runtime === null) {
      throw new HubAdminError(
        'HUB_UNREACHABLE',
        `the hub's records in ${dataDir} are in use by ${err.pid === undefined ? 'another process' : `process ${err.pid}`}, which left no ${runtimeFilePath(dataDir)} — if a hub is starting, try again in a moment; otherwise stop that process`,
        503,
      )
    }
    return new HttpHubAdmin(runtime)
  }
}
