/**
 * The hub's records (users, API tokens) as a durable store in the data dir:
 * `hub.json` + `hub.journal.<n>` + `hub.lock`. The running hub holds it open;
 * `monohub user|token` open it directly only when no hub does (the lock says
 * which), so there is always one writer.
 */
import { openStore } from '../store/durable-store.ts'
import type { Store } from '../store/store.ts'
import { emptyHubState, hubReducer, type HubOp, type HubState } from '../auth/records.ts'

export const HUB_STORE_NAME = 'hub'

/** Opens the hub's store in `dataDir`; StoreLockedError when a running hub (or another CLI) has it. */
export function openHubStore(dataDir: string, options: { onWarning?: (message: string) => void } = {}): Promise<Store<HubState, HubOp>> {
  return openStore<HubState, HubOp>({
    dir: dataDir,
    name: HUB_STORE_NAME,
    initial: emptyHubState,
    apply: hubReducer,
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  })
}
