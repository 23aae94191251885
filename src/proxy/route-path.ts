/**
 * Route path normalisation, as configurable-http-proxy does it: a leading "/"
 * added, one trailing "/" removed (except for "/" itself), stored URL-decoded
 * so "/user/foo%40bar" and "/user/foo@bar" are the same route.
 */
import { ExplainedError } from '../explained-error.ts'

export class BadPathError extends ExplainedError {
  constructor(message: string) {
    super('BAD_PATH', 400, message)
  }
}

/** Decodes percent-escapes; throws BadPathError on a malformed escape. */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path
  try {
    return decodeURIComponent(path)
  } catch {
    throw new BadPathError(`malformed percent-encoding in path '${path}' — every '%' must be followed by two hex digits`)
  }
}

/** Normalises a route key given by an API client or config. */
export function normalizeRoutePath(raw: string): string {
  // Repeated slashes collapse: the trie ignores empty segments, so "/a//b"
  // and "/a/b" must be one key in the stored state too.
  let path = decodePath(raw).replace(/\/{2,}/g, '/')
  if (!path.startsWith('/')) path = '/' + path
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  return path
}

/**
 * The lookup key for a request: the path part of the URL (query removed),
 * decoded, with the Host header's name in front when routing by host.
 */
export function requestRouteKey(url: string, host: string | undefined, hostRouting: boolean): string {
  const q = url.indexOf('?')
  const path = decodePath(q === -1 ? url : url.slice(0, q))
  if (!hostRouting) return path
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase()
  return '/' + hostname + (path.startsWith('/') ? path : '/' + path)
}
