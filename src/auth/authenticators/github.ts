/**
 * GitHub: plain OAuth2 (GitHub is not an OpenID Provider) with its
 * authorize and token endpoints, then its REST API for the login name and
 * organisations. PKCE (S256) and state as for OIDC; no nonce (no ID token).
 *
 * The user name is the GitHub login; groups are the user's organisation
 * logins, lower-cased (GitHub logins are case-insensitive), so allowed and
 * admin groups in the access rules work with organisations. The hub should
 * add `allowedOrganizations` (lower-cased) to its allowed groups.
 *
 * Organisation membership: /user/orgs lists what the token may see; each
 * allowed organisation missing from that list is asked directly
 * (/orgs/<org>/members/<login>, 204 = member), which also finds private
 * memberships and organisations beyond the first page.
 *
 * `githubUrl` and `apiUrl` point elsewhere for GitHub Enterprise Server
 * (`https://ghe.example.org` and `https://ghe.example.org/api/v3`) — and for
 * tests, which run against a local server speaking GitHub's endpoints.
 */
import * as client from 'openid-client'
import type { Authenticator, AuthRequest, AuthResult, LoginStart } from '../authenticator.ts'
import { AuthenticatorConfigError } from './authenticator-config-error.ts'
import { IdentityProviderError, loginFailure, type ProviderContext } from './oauth-errors.ts'
import { expiresAt, finishCodeFlow, startCodeFlow } from './oauth-flow.ts'

export interface GithubAuthenticatorOptions {
  clientId: string
  clientSecret: string
  /** Organisation logins whose members the hub should let in (via allowed groups). */
  allowedOrganizations?: readonly string[]
  /** Default ['read:user'], plus 'read:org' when allowedOrganizations is set (to see private memberships). */
  scopes?: readonly string[]
  /** Default https://github.com (authorize and token endpoints live under /login/oauth/). */
  githubUrl?: string
  /** Default https://api.github.com; GitHub Enterprise Server: https://<host>/api/v3. */
  apiUrl?: string
  /** Allow http:// URLs above. Only for tests. */
  allowInsecureHttp?: boolean
  /** Login button text. Default "Sign in with GitHub". */
  label?: string
  /** Seconds to wait for GitHub on each request. Default 10. */
  timeoutSeconds?: number
}

export const DEFAULT_GITHUB_URL = 'https://github.com'
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com'

const ORG_LOGIN = /^[a-z\d](?:[a-z\d-]{0,38})$/i
const API_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'monohub' }

function baseUrl(value: string | undefined, fallback: string, option: string, allowInsecureHttp: boolean): URL {
  let url: URL
  try {
    url = new URL(value ?? fallback)
  } catch {
    throw new AuthenticatorConfigError(option, `'${value}' is not a URL`)
  }
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new AuthenticatorConfigError(option, `'${value}' uses http://, which would send tokens in the clear — use https://, or set authenticator.allowInsecureHttp for local testing only`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AuthenticatorConfigError(option, `'${value}' must be an https:// URL`)
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  url.search = ''
  url.hash = ''
  return url
}

class GithubAuthenticator implements Authenticator {
  readonly name = 'github'
  readonly kind = 'redirect' as const
  readonly label: string
  readonly allowedOrganizations: readonly string[]
  private readonly config: client.Configuration
  private readonly api: URL
  private readonly scope: string
  private readonly provider: ProviderContext

  constructor(options: GithubAuthenticatorOptions) {
    const insecure = options.allowInsecureHttp === true
    const github = baseUrl(options.githubUrl, DEFAULT_GITHUB_URL, 'authenticator.githubUrl', insecure)
    this.api = baseUrl(options.apiUrl, DEFAULT_GITHUB_API_URL, 'authenticator.apiUrl', insecure)
    if (typeof options.clientId !== 'string' || options.clientId === '') {
      throw new AuthenticatorConfigError('authenticator.clientId', 'is required: the Client ID of your GitHub OAuth app (Settings → Developer settings → OAuth Apps)')
    }
    if (typeof options.clientSecret !== 'string' || options.clientSecret === '') {
      throw new AuthenticatorConfigError('authenticator.clientSecret', 'is required: a client secret generated for your GitHub OAuth app')
    }
    const orgs = (options.allowedOrganizations ?? []).map((org) => org.trim().toLowerCase())
    for (const org of orgs) {
      if (!ORG_LOGIN.test(org)) throw new AuthenticatorConfigError('authenticator.allowedOrganizations', `'${org}' is not a GitHub organisation login (letters, digits and -; teams are not supported)`)
    }
    this.allowedOrganizations = orgs
    this.scope = [...(options.scopes ?? (orgs.length > 0 ? ['read:user', 'read:org'] : ['read:user']))].join(' ')
    this.label = options.label ?? 'Sign in with GitHub'
    this.provider = { label: `GitHub (${github.origin})`, addressOption: 'authenticator.githubUrl' }
    this.config = new client.Configuration({
      issuer: github.href,
      authorization_endpoint: new URL('login/oauth/authorize', github).href,
      token_endpoint: new URL('login/oauth/access_token', github).href,
    }, options.clientId, undefined, client.ClientSecretPost(options.clientSecret))
    this.config.timeout = options.timeoutSeconds ?? 10
    if (insecure) client.allowInsecureRequests(this.config)
  }

  async startLogin(_req: AuthRequest, callbackUrl: string): Promise<LoginStart> {
    return startCodeFlow(this.config, callbackUrl, { scope: this.scope, nonce: false })
  }

  async authenticate(req: AuthRequest): Promise<AuthResult | null> {
    const query = req.url.searchParams
    if (!query.has('code') && !query.has('error')) return null
    const tokens = await finishCodeFlow(this.config, req, this.provider)
    const user = await this.apiGet('user', tokens.access_token) as { login?: unknown; id?: unknown; name?: unknown; email?: unknown }
    if (typeof user.login !== 'string' || user.login === '') {
      throw new IdentityProviderError('GITHUB_API_ERROR', `GitHub's /user answer has no login — check authenticator.apiUrl (${this.api.href})`, 502)
    }
    const groups = await this.organizations(tokens.access_token, user.login)
    return {
      name: user.login,
      groups,
      authState: {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: expiresAt(tokens.expires_in),
        scope: tokens.scope,
        github_user: { id: user.id, login: user.login, name: user.name, email: user.email },
      },
    }
  }

  /** Lower-cased organisation logins: what /user/orgs shows, plus allowed ones confirmed one by one. */
  private async organizations(token: string, login: string): Promise<string[]> {
    const listed = await this.apiGet('user/orgs?per_page=100', token)
    const orgs = new Set<string>()
    if (Array.isArray(listed)) {
      for (const org of listed as Array<{ login?: unknown }>) if (typeof org.login === 'string') orgs.add(org.login.toLowerCase())
    }
    for (const org of this.allowedOrganizations) {
      if (orgs.has(org)) continue
      const status = await this.apiStatus(`orgs/${encodeURIComponent(org)}/members/${encodeURIComponent(login)}`, token)
      if (status === 204) orgs.add(org)
    }
    return [...orgs]
  }

  private async request(path: string, token: string): Promise<Response> {
    try {
      return await client.fetchProtectedResource(this.config, token, new URL(path, this.api), 'GET', undefined, new Headers(API_HEADERS))
    } catch (err) {
      throw loginFailure(err, { label: `the GitHub API (${this.api.href})`, addressOption: 'authenticator.apiUrl' })
    }
  }

  private async apiGet(path: string, token: string): Promise<unknown> {
    const response = await this.request(path, token)
    if (response.status !== 200) {
      const text = (await response.text()).slice(0, 200)
      throw new IdentityProviderError('GITHUB_API_ERROR', `the GitHub API answered GET ${new URL(path, this.api).pathname} with HTTP ${response.status} (${text}) — check authenticator.apiUrl and the OAuth app's permissions`, 502)
    }
    return response.json()
  }

  /** Membership checks answer with a status only: 204 member, 404 not, 302 "you cannot see this org's private members". */
  private async apiStatus(path: string, token: string): Promise<number> {
    const response = await this.request(path, token)
    await response.body?.cancel()
    return response.status
  }
}

/** A GitHub authenticator. Throws AuthenticatorConfigError for bad options; no network until the first login. */
export function githubAuthenticator(options: GithubAuthenticatorOptions): Authenticator & { readonly allowedOrganizations: readonly string[] } {
  return new GithubAuthenticator(options)
}
