/**
 * OpenID Connect discovery, done lazily on the first login and cached, so a
 * hub starts even while its identity provider is down — and says exactly
 * what failed when someone tries to log in. A failure is not cached: the
 * next login tries again.
 */
import * as client from 'openid-client'
import { IdentityProviderError, networkFailure } from './oauth-errors.ts'

export interface DiscoveryOptions {
  issuer: URL
  clientId: string
  clientSecret: string | undefined
  clientAuthMethod: 'client_secret_basic' | 'client_secret_post'
  allowInsecureHttp: boolean
  timeoutSeconds: number
}

function clientAuth(options: DiscoveryOptions): client.ClientAuth {
  if (options.clientSecret === undefined) return client.None()
  return options.clientAuthMethod === 'client_secret_post' ? client.ClientSecretPost(options.clientSecret) : client.ClientSecretBasic(options.clientSecret)
}

function wellKnown(issuer: URL): string {
  return `${issuer.href.replace(/\/$/, '')}/.well-known/openid-configuration`
}

/** Turns a discovery failure into an error naming the issuer, what failed and the option to check. */
export function discoveryFailure(err: unknown, issuer: URL): IdentityProviderError {
  const network = networkFailure(err)
  if (network !== null) {
    return new IdentityProviderError('IDP_UNREACHABLE', `could not reach issuer ${issuer.href} (${network}) — check authenticator.issuer and that the hub can connect to it`, 503, { cause: err })
  }
  const code = (err as { code?: unknown }).code
  const cause = (err as { cause?: unknown }).cause
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && cause instanceof Response) {
    return new IdentityProviderError('IDP_DISCOVERY_FAILED', `issuer ${issuer.href} did not serve its OpenID configuration at ${wellKnown(issuer)} (HTTP ${cause.status}) — check authenticator.issuer`, 502, { cause: err })
  }
  if (code === 'OAUTH_RESPONSE_IS_NOT_JSON' || code === 'OAUTH_PARSE_ERROR') {
    return new IdentityProviderError('IDP_DISCOVERY_FAILED', `issuer ${issuer.href} answered ${wellKnown(issuer)} with something that is not an OpenID configuration (not JSON) — check authenticator.issuer`, 502, { cause: err })
  }
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err
  const body = (inner as { cause?: { body?: { issuer?: unknown } } }).cause?.body
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && typeof body?.issuer === 'string') {
    return new IdentityProviderError('IDP_ISSUER_MISMATCH', `issuer ${issuer.href} calls itself '${body.issuer}' in its OpenID configuration — set authenticator.issuer to exactly '${body.issuer}'`, 502, { cause: err })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new IdentityProviderError('IDP_DISCOVERY_FAILED', `OpenID discovery at ${wellKnown(issuer)} failed (${message}) — check authenticator.issuer`, 502, { cause: err })
}

/** Discovers lazily and caches the result; a failure is thrown as IdentityProviderError and retried next time. */
export class LazyDiscovery {
  private readonly options: DiscoveryOptions
  private pending: Promise<client.Configuration> | undefined

  constructor(options: DiscoveryOptions) {
    this.options = options
  }

  configuration(): Promise<client.Configuration> {
    this.pending ??= this.discover().catch((err: unknown) => {
      this.pending = undefined
      throw err
    })
    return this.pending
  }

  private async discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret, allowInsecureHttp, timeoutSeconds } = this.options
    try {
      return await client.discovery(issuer, clientId, clientSecret, clientAuth(this.options), {
        timeout: timeoutSeconds,
        ...(allowInsecureHttp ? { execute: [client.allowInsecureRequests] } : {}),
      })
    } catch (err) {
      throw discoveryFailure(err, issuer)
    }
  }
}
