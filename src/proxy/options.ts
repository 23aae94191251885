/** How the proxy forwards; filled from config (CLI flags, env, file). */
export interface ProxyOptions {
  /** First path segment is the request's host name (CHP's --host-routing). */
  hostRouting: boolean
  /** Prepend the target URL's path to the forwarded path (CHP's prependPath, default true). */
  prependPath: boolean
  /** Keep the route prefix in the forwarded path (CHP's includePrefix, default true). */
  includePrefix: boolean
  /** Add X-Forwarded-For/Port/Proto/Host (default true). */
  xForward: boolean
  /** Milliseconds to wait for the upstream to answer before 503 (0 = no limit). */
  proxyTimeout: number
  /** Milliseconds a client request may stay idle (CHP's --timeout; 0 = no limit). */
  timeout: number
  /** Upstream keep-alive in milliseconds. */
  keepAliveTimeout: number
  /** Most connections per upstream origin; keeps hundreds of users from exhausting ports. */
  maxConnectionsPerOrigin: number
  /** CHP's --error-target: fetch `<url>/<code>?url=<original>` for error pages. */
  errorTarget: string | undefined
  /** CHP's --error-path: folder with `<code>.html` pages. */
  errorPath: string | undefined
  /** Extra headers added to every proxied request (CHP's --custom-header). */
  customHeaders: Record<string, string>
  /**
   * Request headers never passed on to a target (lower-case names) — e.g. the
   * trusted front end's user and shared-secret headers of the header
   * authenticator, which no user server may see.
   */
  stripRequestHeaders: readonly string[]
  /**
   * Cookies removed from the Cookie header of every forwarded request — the
   * hub's own session cookie, which no user server may see (it would let one
   * user's server act as any visitor, admins included).
   */
  stripCookies: readonly string[]
}

export const defaultProxyOptions: ProxyOptions = {
  hostRouting: false,
  prependPath: true,
  includePrefix: true,
  xForward: true,
  proxyTimeout: 0,
  timeout: 0,
  keepAliveTimeout: 5_000,
  maxConnectionsPerOrigin: 256,
  errorTarget: undefined,
  errorPath: undefined,
  customHeaders: {},
  stripRequestHeaders: [],
  stripCookies: [],
}
