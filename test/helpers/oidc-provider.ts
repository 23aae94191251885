/**
 * A real OpenID Provider (oidc-provider 9) on 127.0.0.1 for tests, with
 * accounts that carry `preferred_username`, `email` and `groups`, and a
 * helper that plays the browser through its development login and consent
 * forms.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'
import { Browser } from './cookie-jar.ts'

export interface TestAccount {
  sub: string
  preferred_username?: string
  email?: string
  email_verified?: boolean
  groups?: string[]
}

export interface TestProviderOptions {
  accounts: TestAccount[]
  clientId?: string
  clientSecret?: string
  /**
   * Redirect URIs the client may use; a function is asked at the first
   * request (a hub started after the provider knows its callback only then).
   */
  redirectUris: string[] | (() => string[])
  /** Put profile/email/groups claims into the ID token too (default: userinfo only, oidc-provider's conformant default for the code flow). */
  claimsInIdToken?: boolean
  /** Token endpoint client authentication the client is registered with (default client_secret_basic). */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post'
}

export interface TestProvider {
  issuer: string
  /** The provider (built at the first request, or here when first asked). */
  readonly provider: Provider
  close(): Promise<void>
}

/** Starts the provider on 127.0.0.1:0; the issuer is `http://127.0.0.1:<port>`. */
export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const issuer = `http://127.0.0.1:${port}`
  const accounts = new Map(options.accounts.map((a) => [a.sub, a]))
  const build = (): Provider => new Provider(issuer, {
    clients: [{
      client_id: options.clientId ?? 'monohub',
      client_secret: options.clientSecret ?? 'monohub-test-secret',
      redirect_uris: typeof options.redirectUris === 'function' ? options.redirectUris() : options.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
    }],
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    conformIdTokenClaims: options.claimsInIdToken !== true,
    cookies: { keys: ['test-cookie-key-for-oidc-provider'] },
    features: { devInteractions: { enabled: true } },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400 },
    // The hub under test gets a refresh token without asking for offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub)
      if (account === undefined) return undefined
      return {
        accountId: sub,
        async claims() {
          return { ...account }
        },
      }
    },
    async renderError(ctx, out) {
      ctx.type = 'text'
      ctx.body = `oidc-provider error: ${JSON.stringify(out)}`
    },
  })
  let provider: Provider | undefined
  let callback: ReturnType<Provider['callback']> | undefined
  server.on('request', (req, res) => {
    provider ??= build()
    callback ??= provider.callback()
    void callback(req, res)
  })
  return {
    issuer,
    get provider() {
      provider ??= build()
      return provider
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

export interface ProviderLoginOptions {
  /** Account id to log in as (the dev login form accepts any password). */
  login: string
  /** The hub's callback URL: stop when the provider redirects there. */
  callbackUrl: string
  /** Press "abort" on the login form instead (the provider answers access_denied). */
  abort?: boolean
}

/**
 * Plays the browser: opens the authorization URL, fills the login form,
 * accepts the consent form, and returns the callback URL the provider sent
 * the browser to (with `code` and `state`, or `error`) — without calling it.
 */
export async function loginAtProvider(authorizationUrl: string, options: ProviderLoginOptions): Promise<URL> {
  const browser = new Browser(new URL(authorizationUrl).origin)
  let next: string = authorizationUrl
  let request: RequestInit = {}
  for (let hop = 0; hop < 20; hop++) {
    if (next.startsWith(options.callbackUrl)) return new URL(next)
    const response = await browser.fetch(next, request)
    request = {}
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel()
      next = new URL(location, next).href
      continue
    }
    const html = await response.text()
    if (response.status !== 200) throw new Error(`provider answered ${response.status} at ${next}: ${html.slice(0, 300)}`)
    const uid = /\/interaction\/([\w-]+)/.exec(next)?.[1]
    if (uid === undefined) throw new Error(`unexpected provider page at ${next}: ${html.slice(0, 300)}`)
    if (options.abort === true) {
      next = new URL(`/interaction/${uid}/abort`, next).href
      continue
    }
    const fields: Record<string, string> = /name="login"/.test(html)
      ? { prompt: 'login', login: options.login, password: 'any password works in dev interactions' }
      : { prompt: 'consent' }
    request = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() }
    next = new URL(`/interaction/${uid}`, next).href
  }
  throw new Error('the provider login did not reach the callback within 20 steps')
}
