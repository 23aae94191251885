/**
 * The path a request is forwarded with, exactly as configurable-http-proxy
 * 5.3 builds it (through http-proxy-3's setupOutgoing):
 *
 *   path = urlJoin(prependPath ? target.pathname + target.search : '/',
 *                  getPath(includePrefix ? url : url minus the route prefix))
 *
 * where getPath normalises through WHATWG URL (dot segments resolved, a few
 * characters percent-encoded, fragment dropped) and urlJoin concatenates
 * without doubling a "/" and merges both query strings with "&". The query
 * string is otherwise untouched and the path stays percent-encoded.
 *
 * Pure string work, no I/O. Most URLs need no normalising; a one-pass scan
 * decides, and only the rest go through `new URL`.
 */
import { decodePath } from './route-path.ts'

/** Characters WHATWG URL would percent-encode or rewrite in a path or query. */
const NEEDS_URL = new Uint8Array(128)
for (const ch of '"#\'<>\\^`{|}') NEEDS_URL[ch.charCodeAt(0)] = 1

/** True when `new URL` would change `url` (so getPath is not the identity). */
export function needsNormalising(url: string): boolean {
  const n = url.length
  if (n === 0 || url.charCodeAt(0) !== 47 /* / */) return true
  if (n > 1 && url.charCodeAt(1) === 47) return true // "//x" is parsed specially
  if (url.charCodeAt(n - 1) === 63 /* ? */) return true // empty query is dropped
  for (let i = 0; i < n; i++) {
    const c = url.charCodeAt(i)
    if (c < 0x21 || c > 0x7e || NEEDS_URL[c] === 1) return true
    // "/." may start a dot segment; "%2e" is a dot too.
    if (c === 46 /* . */ && url.charCodeAt(i - 1) === 47) return true
    if (c === 37 /* % */ && url.charCodeAt(i + 1) === 50 && (url.charCodeAt(i + 2) | 0x20) === 101) return true
  }
  return false
}

/** http-proxy-3's getPath: pathname + search of the URL, "" and "?…" kept as they are. */
export function normaliseRequestUrl(url: string): string {
  if (url === '' || url.charCodeAt(0) === 63) return url
  const parsed = new URL(url.startsWith('//') ? 'http://base.invalid' + url : url, 'http://base.invalid')
  return parsed.pathname + parsed.search
}

/**
 * Removes a route's path prefix from a (normalised, still-encoded) request
 * URL: "/user/a/tree?x" with prefix "/user/a" → "/tree?x". `pathPrefix` is the
 * decoded route path without any host segment.
 */
export function stripPrefix(url: string, pathPrefix: string): string {
  if (pathPrefix === '/') return url
  const n = pathPrefix.length
  if (url.startsWith(pathPrefix)) {
    const next = url.charCodeAt(n)
    if (Number.isNaN(next) || next === 47 || next === 63) return url.slice(n)
  }
  // The prefix is percent-encoded in the URL: consume whole raw segments until
  // their decoded form is the prefix.
  let stop = 0
  while (stop < url.length) {
    let end = url.indexOf('/', stop + 1)
    const q = url.indexOf('?', stop + 1)
    if (end === -1 || (q !== -1 && q < end)) end = q === -1 ? url.length : q
    stop = end
    let decoded: string
    try {
      decoded = decodePath(url.slice(0, stop))
    } catch {
      return url
    }
    if (decoded === pathPrefix) return url.slice(stop)
    if (decoded.length >= pathPrefix.length || url.charCodeAt(stop) !== 47) return url
  }
  return url
}

/** The target's part of the join: what getPath gives for pathname + search. */
export interface TargetPath {
  /** e.g. "/base/" or "/" */
  pathname: string
  /** query without "?", "" for none */
  query: string
}

export function targetPathOf(target: string): TargetPath {
  const url = new URL(target)
  return { pathname: url.pathname, query: url.search.length > 1 ? url.search.slice(1) : '' }
}

const ROOT: TargetPath = { pathname: '/', query: '' }

/**
 * http-proxy-3's urlJoin(targetPath, requestPath): concatenates, dropping one
 * "/" where both sides have one, and merges the query strings with "&".
 * `rest` is a normalised request URL (or "" / "?…" after prefix removal).
 */
export function joinForwardPath(target: TargetPath | undefined, rest: string): string {
  const base = target ?? ROOT
  const q = rest.indexOf('?')
  const restPath = q === -1 ? rest : rest.slice(0, q)
  const restQuery = q === -1 ? '' : rest.slice(q + 1)
  let path = base.pathname
  if (restPath.length > 0) {
    if (path.length === 0) path = restPath.charCodeAt(0) === 47 ? restPath : '/' + restPath
    else if (path.charCodeAt(path.length - 1) === 47) path += restPath.charCodeAt(0) === 47 ? restPath.slice(1) : restPath
    else path += restPath.charCodeAt(0) === 47 ? restPath : '/' + restPath
  }
  if (base.query.length > 0) return restQuery.length > 0 ? `${path}?${base.query}&${restQuery}` : `${path}?${base.query}`
  return restQuery.length > 0 ? `${path}?${restQuery}` : path
}

/** What forwarding needs of a route, derived once per Route object. */
interface RouteForwarding {
  target: TargetPath
  /** The route path without the host segment (host routing), e.g. "/user/a". */
  pathPrefix: string
}

const forwardingOf = new WeakMap<object, RouteForwarding>()

export interface ForwardPathOptions {
  hostRouting: boolean
  prependPath: boolean
  includePrefix: boolean
}

/**
 * The path (with query) to request from a route's target for a normalised
 * request URL (see needsNormalising / normaliseRequestUrl).
 */
export function forwardPathFor(route: { prefix: string; data: { target: string } }, url: string, options: ForwardPathOptions): string {
  let forwarding = forwardingOf.get(route)
  if (forwarding === undefined) {
    let pathPrefix = route.prefix
    if (options.hostRouting) {
      const slash = pathPrefix.indexOf('/', 1)
      pathPrefix = slash === -1 ? '/' : pathPrefix.slice(slash)
    }
    forwarding = { target: targetPathOf(route.data.target), pathPrefix }
    forwardingOf.set(route, forwarding)
  }
  const rest = options.includePrefix ? url : stripPrefix(url, forwarding.pathPrefix)
  return joinForwardPath(options.prependPath ? forwarding.target : undefined, rest)
}
