/**
 * What the server lifecycle needs of the proxy's route table, as its own
 * small interface: spawn sits below the proxy (DESIGN.md layering), so it
 * names the methods it uses instead of importing the proxy's Routes. The
 * proxy's Routes satisfies it as it is.
 */

/** A route's data as stored: a target plus JupyterHub's keys (user, server_name …). */
export interface RouteData {
  target: string
  [key: string]: unknown
}

export interface RouteWriter {
  /** Adds or replaces a route; resolves once durable. */
  set(path: string, data: RouteData): Promise<void>
  /** Removes a route; resolves (true) once durable, false when there was none. */
  delete(path: string): Promise<boolean>
  /** The route at exactly `path`: its data and the last proxy traffic on it (ms). */
  get(path: string): { readonly data: RouteData; readonly record: { readonly lastActivity: number } } | undefined
  /** Every route with its data. */
  list(): Iterable<[string, RouteData]>
}
