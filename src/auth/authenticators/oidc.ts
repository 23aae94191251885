/**
 * OpenID Connect: any issuer with discovery (Keycloak, Microsoft Entra ID,
 * Google, Authentik, Dex, …) through openid-client — authorization code
 * flow with PKCE (S256), state and nonce.
 *
 * The user name comes from `usernameClaim` (see oidc-claims.ts for the
 * fallback rule), groups from `groupsClaim`; both are read from the ID token
 * and, when a claim is missing there, from the userinfo endpoint (many
 * providers put profile claims only in userinfo for the code flow). Who may
 * log in, and who is admin, is decided afterwards by access-rules.ts from
 * the returned groups — allowed and admin groups are not options here.
 */
import * as client from 'openid-client'
import type { Authenticator, AuthRequest, AuthResult, LoginStart } from '../authenticator.ts'
import { LoginRefusedError } from '../authenticator.ts'
import { AuthenticatorConfigError } from './authenticator-config-error.ts'
import { loginFailure, type ProviderContext } from './oauth-errors.ts'
import { expiresAt, finishCodeFlow, startCodeFlow } from './oauth-flow.ts'
import { claimValue, groupsFromClaims, userNameFromClaims, type Claims } from './oidc-claims.ts'
import { LazyDiscovery } from './oidc-discovery.ts'

export interface OidcAuthenticatorOptions {
  /** The issuer URL exactly as the provider names itself (discovery: `<issuer>/.well-known/openid-configuration`). */
  issuer: string
  clientId: string
  /** Omit for a public client (PKCE only). */
  clientSecret?: string
  /** How the secret is sent to the token endpoint. Default `client_secret_basic` (the OpenID default; Google, Entra and Keycloak accept both). */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post'
  /** Default ['openid', 'profile', 'email']; 'openid' is added when missing. */
  scopes?: readonly string[]
  /** Claim holding the user name. Default `preferred_username`, falling back to a verified `email` (only when left at the default). */
  usernameClaim?: string
  /** Claim holding the groups (array of strings), e.g. `groups`, or `realm_access.roles`. No groups when unset. */
  groupsClaim?: string
  /** Allow an http:// issuer. Only for tests and local development. */
  allowInsecureHttp?: boolean
  /** Extra authorization request parameters, e.g. { prompt: 'select_account' } or Google's { hd: 'example.org' }. */
  extraAuthorizationParams?: Readonly<Record<string, string>>
  /** Login button text. Default "Sign in with <issuer host>". */
  label?: string
  /** Seconds to wait for the provider on each request. Default 10. */
  timeoutSeconds?: number
}

export const DEFAULT_OIDC_SCOPES: readonly string[] = ['openid', 'profile', 'email']

function parseIssuer(options: OidcAuthenticatorOptions): URL {
  let issuer: URL
  try {
    issuer = new URL(options.issuer)
  } catch {
    throw new AuthenticatorConfigError('authenticator.issuer', `'${options.issuer}' is not a URL — use the issuer URL the provider documents, e.g. https://keycloak.example.org/realms/main`)
  }
  if (issuer.protocol === 'http:' && options.allowInsecureHttp !== true) {
    throw new AuthenticatorConfigError('authenticator.issuer', `'${options.issuer}' uses http://, which would send tokens in the clear — use https://, or set authenticator.allowInsecureHttp for local testing only`)
  }
  if (issuer.protocol !== 'http:' && issuer.protocol !== 'https:') {
    throw new AuthenticatorConfigError('authenticator.issuer', `'${options.issuer}' must be an https:// URL`)
  }
  if (issuer.search !== '' || issuer.hash !== '') {
    throw new AuthenticatorConfigError('authenticator.issuer', `'${options.issuer}' must not have a query or fragment`)
  }
  return issuer
}

class OidcAuthenticator implements Authenticator {
  readonly name = 'oidc'
  readonly kind = 'redirect' as const
  readonly label: string
  readonly issuer: URL
  private readonly options: OidcAuthenticatorOptions
  private readonly discovery: LazyDiscovery
  private readonly scope: string
  private readonly provider: ProviderContext

  constructor(options: OidcAuthenticatorOptions) {
    this.issuer = parseIssuer(options)
    if (typeof options.clientId !== 'string' || options.clientId === '') {
      throw new AuthenticatorConfigError('authenticator.clientId', 'is required: the client (application) id registered with the identity provider')
    }
    if (options.clientSecret === '') throw new AuthenticatorConfigError('authenticator.clientSecret', 'is empty — give the secret, or omit it for a public client')
    const scopes = [...(options.scopes ?? DEFAULT_OIDC_SCOPES)]
    if (!scopes.includes('openid')) scopes.unshift('openid')
    this.scope = scopes.join(' ')
    this.options = options
    this.label = options.label ?? `Sign in with ${this.issuer.host}`
    this.provider = { label: `issuer ${this.issuer.href}`, addressOption: 'authenticator.issuer' }
    this.discovery = new LazyDiscovery({
      issuer: this.issuer,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      clientAuthMethod: options.clientAuthMethod ?? 'client_secret_basic',
      allowInsecureHttp: options.allowInsecureHttp === true,
      timeoutSeconds: options.timeoutSeconds ?? 10,
    })
  }

  async startLogin(_req: AuthRequest, callbackUrl: string): Promise<LoginStart> {
    const config = await this.discovery.configuration()
    return startCodeFlow(config, callbackUrl, { scope: this.scope, nonce: true, ...(this.options.extraAuthorizationParams === undefined ? {} : { extraParams: this.options.extraAuthorizationParams }) })
  }

  /** The callback request. Null when it is not a callback at all (no code and no error). */
  async authenticate(req: AuthRequest): Promise<AuthResult | null> {
    const query = req.url.searchParams
    if (!query.has('code') && !query.has('error')) return null
    const config = await this.discovery.configuration()
    const tokens = await finishCodeFlow(config, req, this.provider)
    const idClaims: Claims = tokens.claims() ?? {}
    const sources: Claims[] = [idClaims]
    let userinfo: Claims | undefined
    if (this.needsUserInfo(idClaims) && config.serverMetadata().userinfo_endpoint !== undefined) {
      try {
        userinfo = await client.fetchUserInfo(config, tokens.access_token, typeof idClaims.sub === 'string' ? idClaims.sub : client.skipSubjectCheck)
      } catch (err) {
        throw loginFailure(err, this.provider)
      }
      sources.push(userinfo)
    }
    const picked = userNameFromClaims(sources, this.options.usernameClaim)
    if (!picked.ok) throw new LoginRefusedError('OIDC_NO_USERNAME', picked.message, 403)
    const result: AuthResult = {
      name: picked.name,
      authState: {
        id_token_claims: idClaims,
        ...(userinfo === undefined ? {} : { userinfo }),
        id_token: tokens.id_token,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: expiresAt(tokens.expires_in),
        scope: tokens.scope,
      },
    }
    if (this.options.groupsClaim !== undefined) result.groups = groupsFromClaims(sources, this.options.groupsClaim)
    return result
  }

  /** Userinfo is fetched only when the ID token lacks a claim we read. */
  private needsUserInfo(idClaims: Claims): boolean {
    const nameClaim = this.options.usernameClaim ?? 'preferred_username'
    if (claimValue([idClaims], nameClaim) === undefined) return true
    return this.options.groupsClaim !== undefined && claimValue([idClaims], this.options.groupsClaim) === undefined
  }
}

/** An OpenID Connect authenticator. Throws AuthenticatorConfigError for bad options; contacts the issuer only at the first login. */
export function oidcAuthenticator(options: OidcAuthenticatorOptions): Authenticator {
  return new OidcAuthenticator(options)
}
