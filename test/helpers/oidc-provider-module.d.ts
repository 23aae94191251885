/**
 * oidc-provider ships no TypeScript types; this declares the little of it
 * test/helpers/oidc-provider.ts uses (a devDependency, tests only).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface ProviderContext {
    type: string
    body: unknown
  }
  interface ProviderClient {
    grantTypeAllowed(type: string): boolean
  }
  interface ProviderAccount {
    accountId: string
    claims(): Promise<Record<string, unknown>>
  }
  interface ProviderConfiguration {
    clients?: Array<Record<string, unknown>>
    pkce?: { required?: () => boolean }
    claims?: Record<string, string[]>
    scopes?: string[]
    conformIdTokenClaims?: boolean
    cookies?: { keys?: string[] }
    features?: Record<string, { enabled: boolean }>
    issueRefreshToken?: (ctx: ProviderContext, client: ProviderClient, code: unknown) => Promise<boolean>
    findAccount?: (ctx: ProviderContext, sub: string) => Promise<ProviderAccount | undefined>
    renderError?: (ctx: ProviderContext, out: Record<string, unknown>, error: Error) => Promise<void>
    ttl?: Record<string, number>
  }
  export default class Provider {
    constructor(issuer: string, configuration?: ProviderConfiguration)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: string, listener: (...args: unknown[]) => void): this
  }
}
