/**
 * `next=` after login: only a local absolute path on this origin is followed.
 *
 * Browsers are lenient in ways that turn innocent-looking values into
 * off-site redirects: "//evil" and "/\evil" are protocol-relative, tabs and
 * newlines are silently removed ("/\t/evil" becomes "//evil"), "\" counts as
 * "/", and a value that some layer decodes once more ("/%2F%2Fevil",
 * "/%5Cevil") becomes one of those. So: refuse control characters, spaces and
 * backslashes anywhere; refuse a second "/" right after the first in the value
 * and in each of its percent-decodings; then let the URL parser resolve it
 * against a fake origin and require that origin and a result that is still a
 * single-slash path.
 */

const MAX_NEXT_LENGTH = 2048
const PROBE_ORIGIN = 'http://next-url.invalid'
// Control characters, whitespace (incl. Unicode spaces), backslash.
const FORBIDDEN = /[\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff\\]/u

// In a decoded form a space is harmless (no layer strips it); controls and "\\" are not.
const FORBIDDEN_DECODED = /[\u0000-\u001f\u007f\\]/

function looksLocal(value: string, forbidden: RegExp = FORBIDDEN): boolean {
  return value.startsWith('/') && value[1] !== '/' && !forbidden.test(value)
}

/**
 * Decodes only escapes of ASCII characters (%00–%7F): those are the ones that
 * can turn into "/", "\\" or control characters. Never throws, unlike
 * decodeURIComponent, so a path with a literal "%" stays usable.
 */
function decodeAsciiEscapes(value: string): string {
  if (!value.includes('%')) return value
  return value.replace(/%([0-7][0-9a-fA-F])/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/** `raw` when it is a safe local path (normalised by the URL parser), else `fallback`. */
export function safeNextUrl(raw: unknown, fallback: string): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_NEXT_LENGTH) return fallback
  // Check the value and each decoding of it, as a layer in front of us might decode it again.
  let value = raw
  for (let round = 0; ; round++) {
    if (!looksLocal(value, round === 0 ? FORBIDDEN : FORBIDDEN_DECODED)) return fallback
    const decoded = decodeAsciiEscapes(value)
    if (decoded === value) break
    if (round === 3) return fallback // still encoded after four rounds: not a path a person typed
    value = decoded
  }
  let url: URL
  try {
    url = new URL(raw, PROBE_ORIGIN)
  } catch {
    return fallback
  }
  if (url.origin !== PROBE_ORIGIN || url.username !== '' || url.password !== '') return fallback
  const result = url.pathname + url.search + url.hash
  // "/.//evil" resolves to the path "//evil": check the result as well.
  if (!looksLocal(result)) return fallback
  return result
}
