/**
 * Owns opening the persisted route table: the durable store `routes` in a
 * data dir, wired to a RouteTable so the proxy's lookups never touch the disk.
 */
import { RouteTable } from './route-table.ts'
import { Routes, emptyRouteState, fillTable, routeReducer, type Route, type RouteOp, type RouteState } from './route-store.ts'
import { openStore } from '../store/durable-store.ts'

export interface OpenedRoutes {
  routes: Routes
  /** Writes pending activity, waits for pending changes to be durable and releases the data dir's lock. */
  close(): Promise<void>
}

export interface OpenRoutesOptions {
  /** Rewrite the snapshot once the journal holds this many bytes (default: the store's, 8 MiB). */
  compactAfterBytes?: number
  /** Warnings that do not stop the proxy (see StoreOptions.onWarning). */
  onWarning?: (message: string) => void
  /** Clock for route activity (tests). */
  now?: () => number
}

/**
 * Opens the routes kept in `dataDir` (`routes.json` + `routes.journal.<n>`),
 * creating the folder if needed. Fails with StoreLockedError when another
 * process has it open and StateFileError when its files are damaged.
 */
export async function openRoutes(dataDir: string, options: OpenRoutesOptions = {}): Promise<OpenedRoutes> {
  const table = new RouteTable<Route>()
  const store = await openStore<RouteState, RouteOp>({
    dir: dataDir,
    name: 'routes',
    initial: emptyRouteState,
    apply: routeReducer(table),
    onLoad: (state) => fillTable(table, state),
    ...(options.compactAfterBytes === undefined ? {} : { compactAfterBytes: options.compactAfterBytes }),
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  })
  const routes = new Routes(table, store, options.now)
  return {
    routes,
    async close() {
      try {
        await routes.flushActivity()
      } finally {
        await store.close()
      }
    },
  }
}
