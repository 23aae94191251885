/**
 * Reading one cookie out of a Cookie header and writing Set-Cookie values.
 * Hand-rolled rather than a general parser: the proxy reads the session
 * cookie on every request, and this is a single indexOf scan.
 */

/** The value of cookie `name` in a Cookie request header, or undefined. */
export function getCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length === 0) return undefined
  let from = 0
  for (;;) {
    const at: number = header.indexOf(name, from)
    if (at === -1) return undefined
    const end = at + name.length
    // Must be a whole cookie name: preceded by start/";"/" " and followed by "=".
    const before = at === 0 ? ';' : header[at - 1]
    if ((before === ';' || before === ' ') && header[end] === '=') {
      const semi = header.indexOf(';', end + 1)
      let value = header.slice(end + 1, semi === -1 ? header.length : semi).trim()
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
      return value
    }
    from = end
  }
}

export interface CookieAttributes {
  /** Seconds; omitted → a browser-session cookie. 0 deletes the cookie. */
  maxAge?: number
  path?: string
  httpOnly?: boolean
  secure?: boolean
  sameSite?: 'Lax' | 'Strict' | 'None'
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const COOKIE_VALUE = /^[!#-+\--:<-[\]-~]*$/

/** A Set-Cookie header value. Throws TypeError for a name or value a browser would mangle. */
export function serializeCookie(name: string, value: string, attrs: CookieAttributes = {}): string {
  if (!COOKIE_NAME.test(name)) throw new TypeError(`invalid cookie name '${name}'`)
  if (!COOKIE_VALUE.test(value)) throw new TypeError(`cookie value for '${name}' contains characters not allowed in a cookie`)
  let out = `${name}=${value}; Path=${attrs.path ?? '/'}`
  if (attrs.maxAge !== undefined) out += `; Max-Age=${Math.max(0, Math.floor(attrs.maxAge))}`
  if (attrs.httpOnly ?? true) out += '; HttpOnly'
  if (attrs.secure) out += '; Secure'
  out += `; SameSite=${attrs.sameSite ?? 'Lax'}`
  return out
}
