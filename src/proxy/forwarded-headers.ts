/**
 * Header rewriting for forwarded HTTP requests and their responses, one pass
 * each: hop-by-hop headers dropped both ways (RFC 9110 §7.6.1: Connection and
 * every header it names, Keep-Alive, Proxy-Connection, Transfer-Encoding, TE,
 * Trailer, Upgrade), X-Forwarded-* added the way http-proxy's `xfwd` does it
 * (For/Port/Proto appended with ",", Host kept if present), custom headers
 * set. `Host`, cookies and auth headers pass through unchanged; every
 * Set-Cookie of a response is kept.
 */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  // Node answers "Expect: 100-continue" itself; undici refuses to send it.
  'expect',
])

const XFF = 'x-forwarded-for'
const XFPORT = 'x-forwarded-port'
const XFPROTO = 'x-forwarded-proto'
const XFHOST = 'x-forwarded-host'

/** Connection tokens that name no other header. */
function namesOfConnection(value: string | undefined): Set<string> | undefined {
  if (value === undefined) return undefined
  let names: Set<string> | undefined
  for (const raw of value.split(',')) {
    const token = raw.trim().toLowerCase()
    if (token === '' || token === 'close' || token === 'keep-alive' || token === 'upgrade') continue
    ;(names ??= new Set()).add(token)
  }
  return names
}

export interface RequestHeaderRules {
  xForward: boolean
  /** Lower-cased names → values; replace any same-named request header. */
  customHeaders: ReadonlyMap<string, string>
  /** Lower-cased names never forwarded (ProxyOptions.stripRequestHeaders). */
  stripped: ReadonlySet<string>
  /** Cookie names removed from the Cookie header (ProxyOptions.stripCookies). */
  strippedCookies: readonly string[]
}

/**
 * Header-name lengths worth lower-casing for: hop-by-hop names, host,
 * x-forwarded-*, custom header names. Any other name is copied as sent.
 */
function interestingLengths(custom: ReadonlyMap<string, string>, stripped: ReadonlySet<string>): Uint8Array {
  const table = new Uint8Array(256)
  for (const name of [...HOP_BY_HOP, 'host', 'content-length', 'authorization', 'cookie', XFF, XFPORT, XFPROTO, XFHOST, ...custom.keys(), ...stripped]) {
    if (name.length < 256) table[name.length] = 1
  }
  return table
}

export function requestHeaderRules(
  xForward: boolean,
  customHeaders: Record<string, string>,
  stripRequestHeaders: readonly string[] = [],
  stripCookies: readonly string[] = [],
): RequestHeaderRules & { lengths: Uint8Array } {
  const custom = new Map<string, string>()
  for (const [name, value] of Object.entries(customHeaders)) custom.set(name.toLowerCase(), value)
  const stripped = new Set(stripRequestHeaders.map((name) => name.toLowerCase()))
  return { xForward, customHeaders: custom, stripped, strippedCookies: stripCookies, lengths: interestingLengths(custom, stripped) }
}

/**
 * A Cookie header without the named cookies (undefined when none is left).
 * Cheap when none of them is present: one substring test per name.
 */
export function withoutCookies(header: string, names: readonly string[]): string | undefined {
  let present = false
  for (const name of names) if (header.includes(name)) present = true
  if (!present) return header
  const kept: string[] = []
  for (const pair of header.split(';')) {
    const trimmed = pair.trim()
    if (trimmed === '') continue
    const eq = trimmed.indexOf('=')
    const name = eq === -1 ? trimmed : trimmed.slice(0, eq)
    if (!names.includes(name)) kept.push(trimmed)
  }
  return kept.length === 0 ? undefined : kept.join('; ')
}

/**
 * Fills `out` with the headers to send upstream, as undici's flat
 * [name, value, …] array, built from req.rawHeaders in one pass. Returns
 * whether the request has a body (Content-Length or Transfer-Encoding).
 */
export function forwardRequestHeaders(
  req: IncomingMessage,
  rules: RequestHeaderRules & { lengths: Uint8Array },
  out: string[],
  /** Replaces the client's Authorization (a token-injected route), when given. */
  authorization?: string,
): boolean {
  const raw = req.rawHeaders
  let hasBody = false
  const connectionNames = namesOfConnection(connectionHeader(raw))
  const lengths = rules.lengths
  const custom = rules.customHeaders
  let xff: string | undefined
  let xfport: string | undefined
  let xfproto: string | undefined
  let xfhost: string | undefined
  let host: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    if (lengths[name.length] !== 1 && connectionNames === undefined) {
      out.push(name, value)
      continue
    }
    const lower = name.toLowerCase()
    if (lower === 'transfer-encoding' || lower === 'content-length') hasBody = true
    if (HOP_BY_HOP.has(lower) || connectionNames?.has(lower) === true || custom.has(lower) || rules.stripped.has(lower)) continue
    if (rules.xForward) {
      // Collected (duplicates joined as Node does) and written once below.
      if (lower === XFF) {
        xff = xff === undefined ? value : `${xff}, ${value}`
        continue
      }
      if (lower === XFPORT) {
        xfport = xfport === undefined ? value : `${xfport}, ${value}`
        continue
      }
      if (lower === XFPROTO) {
        xfproto = xfproto === undefined ? value : `${xfproto}, ${value}`
        continue
      }
      if (lower === XFHOST) {
        xfhost ??= value
        continue
      }
    }
    if (lower === 'host') host ??= value
    else if (lower === 'authorization') {
      if (authorization !== undefined) continue
    } else if (lower === 'cookie' && rules.strippedCookies.length > 0) {
      const kept = withoutCookies(value, rules.strippedCookies)
      if (kept !== undefined) out.push(name, kept)
      continue
    }
    out.push(name, value)
  }
  if (authorization !== undefined) out.push('authorization', authorization)
  if (rules.xForward) {
    const encrypted = (req.socket as TLSSocket).encrypted === true
    const remote = req.socket.remoteAddress ?? ''
    const port = portOfHost(host) ?? (encrypted ? '443' : '80')
    const proto = encrypted ? 'https' : 'http'
    out.push(
      XFF, xff === undefined ? remote : `${xff},${remote}`,
      XFPORT, xfport === undefined ? port : `${xfport},${port}`,
      XFPROTO, xfproto === undefined ? proto : `${xfproto},${proto}`,
      XFHOST, xfhost ?? host ?? '',
    )
  }
  for (const [name, value] of custom) out.push(name, value)
  return hasBody
}

/** The Connection header's value from raw headers (without building req.headers). */
function connectionHeader(raw: string[]): string | undefined {
  let value: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 10 && name.toLowerCase() === 'connection') value = value === undefined ? raw[i + 1] : `${value}, ${raw[i + 1]}`
  }
  return value
}

/** The port in a Host header value, as http-proxy reads it (first ":digits"). */
function portOfHost(host: string | undefined): string | undefined {
  if (host === undefined) return undefined
  const colon = host.lastIndexOf(':')
  if (colon === -1 || host.endsWith(']')) return undefined
  const port = host.slice(colon + 1)
  for (let i = 0; i < port.length; i++) {
    const c = port.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  return port.length > 0 ? port : undefined
}

/**
 * The response headers to send to the client, as a flat [name, value, …]
 * array for res.writeHead; arrays (Set-Cookie) become one entry per value.
 * `headers` is undici's parsed object (lower-case names).
 */
export function forwardResponseHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = []
  const connection = headers.connection
  const connectionNames = namesOfConnection(Array.isArray(connection) ? connection.join(',') : connection)
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined || HOP_BY_HOP.has(name) || connectionNames?.has(name) === true) continue
    if (typeof value === 'string') out.push(name, value)
    else for (const one of value) out.push(name, one)
  }
  return out
}
