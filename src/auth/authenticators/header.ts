/**
 * Header authentication: a trusted front end (Apache with Shibboleth or
 * mod_auth_openidc, oauth2-proxy, nginx auth_request) has already logged the
 * person in and says who they are in a request header.
 *
 * The header is believed only when the request comes from a configured front
 * end address AND carries the configured shared-secret header. Anyone else
 * who sends the user header gets a 403 that says which check failed (never
 * the secret or the trusted list) — silently ignoring the header would hide
 * a misconfigured or bypassed front end.
 *
 * The front end sends the secret on every request, so the proxy must not
 * pass `secretHeader` (nor the user headers) on to user servers: they are
 * listed in `privateRequestHeaders`, which the hub's proxy strips.
 */
import type { Authenticator, AuthRequest, AuthResult } from '../authenticator.ts'
import { LoginRefusedError } from '../authenticator.ts'
import { AuthenticatorConfigError } from './authenticator-config-error.ts'
import { secretMatches, trustedAddresses, type TrustedAddresses } from './header-trust.ts'

export interface HeaderAuthenticatorOptions {
  /** Header carrying the user name. Default `X-Forwarded-User` (oauth2-proxy's; Shibboleth setups often use `REMOTE_USER` via RequestHeader). */
  userHeader?: string
  /** Optional header carrying the user's groups, split on `groupsSeparator`. E.g. `X-Forwarded-Groups`. */
  groupsHeader?: string
  /** Default `,` (oauth2-proxy); Shibboleth joins multi-valued attributes with `;`. */
  groupsSeparator?: string
  /** TCP peer addresses of the front end: IPs and CIDR ranges, IPv4 and IPv6. Required. */
  trustedAddresses: readonly string[]
  /** Name of the header carrying the shared secret. Default `X-Monohub-Secret`. */
  secretHeader?: string
  /** The shared secret the front end sends (at least 16 characters). Required. */
  secret: string
  /** Login button / log label. Default "Single sign-on". */
  label?: string
}

export const DEFAULT_USER_HEADER = 'X-Forwarded-User'
export const DEFAULT_SECRET_HEADER = 'X-Monohub-Secret'
export const MIN_HEADER_SECRET_LENGTH = 16

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function headerName(value: string | undefined, fallback: string, option: string): string {
  const name = value ?? fallback
  if (!HEADER_NAME.test(name)) throw new AuthenticatorConfigError(option, `'${name}' is not a valid HTTP header name`)
  return name
}

/**
 * Node reads header bytes as latin1; front ends send UTF-8 (Shibboleth
 * attributes, `jörg`). Re-decode when the bytes are valid UTF-8, else keep them.
 */
function decodeHeaderText(value: string): string {
  if (!/[\u0080-\u00ff]/.test(value) || /[^\u0000-\u00ff]/.test(value)) return value
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'))
  } catch {
    return value
  }
}

/** One header value; a repeated header is ambiguous (which one did the front end set?) and refused. */
function single(req: AuthRequest, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()]
  if (Array.isArray(value)) {
    if (value.length > 1) throw new LoginRefusedError('HEADER_REPEATED', `The ${name} header was sent more than once; the front end must send it exactly once.`, 400)
    return value[0]
  }
  return value
}

class HeaderAuthenticator implements Authenticator {
  readonly name = 'header'
  readonly kind = 'header' as const
  readonly label: string
  readonly userHeader: string
  readonly groupsHeader: string | undefined
  readonly secretHeader: string
  readonly privateRequestHeaders: readonly string[]
  private readonly groupsSeparator: string
  private readonly trusted: TrustedAddresses
  private readonly secret: string

  constructor(options: HeaderAuthenticatorOptions) {
    this.userHeader = headerName(options.userHeader, DEFAULT_USER_HEADER, 'authenticator.userHeader')
    this.groupsHeader = options.groupsHeader === undefined ? undefined : headerName(options.groupsHeader, '', 'authenticator.groupsHeader')
    this.secretHeader = headerName(options.secretHeader, DEFAULT_SECRET_HEADER, 'authenticator.secretHeader')
    this.groupsSeparator = options.groupsSeparator ?? ','
    if (this.groupsSeparator === '') throw new AuthenticatorConfigError('authenticator.groupsSeparator', 'must not be empty')
    this.trusted = trustedAddresses(options.trustedAddresses ?? [])
    if (typeof options.secret !== 'string' || options.secret.length < MIN_HEADER_SECRET_LENGTH) {
      throw new AuthenticatorConfigError('authenticator.secret', `a shared secret of at least ${MIN_HEADER_SECRET_LENGTH} characters is required (the front end adds it to every request in ${this.secretHeader}); generate one with \`openssl rand -hex 32\``)
    }
    this.secret = options.secret
    this.label = options.label ?? 'Single sign-on'
    this.privateRequestHeaders = [this.userHeader, this.groupsHeader, this.secretHeader].filter((h) => h !== undefined).map((h) => h.toLowerCase())
  }

  /**
   * Null when the request has no user header (the front end did not log
   * anyone in). Throws LoginRefusedError 403 when someone other than the
   * trusted front end sends it.
   */
  async authenticate(req: AuthRequest): Promise<AuthResult | null> {
    const rawUser = single(req, this.userHeader)
    if (rawUser === undefined) return null
    if (!this.trusted.has(req.remoteAddress)) {
      throw new LoginRefusedError('HEADER_UNTRUSTED_ADDRESS', `The ${this.userHeader} header came from ${req.remoteAddress}, which is not a trusted front end (authenticator.trustedAddresses). Log in through the front end, not directly.`, 403)
    }
    const presented = single(req, this.secretHeader)
    if (presented === undefined || presented === '') {
      throw new LoginRefusedError('HEADER_SECRET_MISSING', `The request carries ${this.userHeader} but not the shared-secret header ${this.secretHeader}: the front end must add it (authenticator.secretHeader / authenticator.secret).`, 403)
    }
    if (!secretMatches(presented, this.secret)) {
      throw new LoginRefusedError('HEADER_SECRET_MISMATCH', `The shared secret in ${this.secretHeader} does not match authenticator.secret: the front end and the hub must be configured with the same secret.`, 403)
    }
    const name = decodeHeaderText(rawUser).trim()
    if (name === '') return null
    const result: AuthResult = { name }
    if (this.groupsHeader !== undefined) {
      const rawGroups = single(req, this.groupsHeader)
      result.groups = rawGroups === undefined ? [] : decodeHeaderText(rawGroups).split(this.groupsSeparator).map((g) => g.trim()).filter((g) => g !== '')
    }
    return result
  }
}

/** The header authenticator. Throws AuthenticatorConfigError for bad options. */
export function headerAuthenticator(options: HeaderAuthenticatorOptions): Authenticator {
  return new HeaderAuthenticator(options)
}
