/**
 * The authorization-code redirect both OIDC and GitHub use, with PKCE (S256),
 * state and (for OIDC) nonce.
 *
 * The `flow` returned by startCodeFlow is what the hub keeps in its short-
 * lived signed cookie: the state, nonce and PKCE verifier, and the callback
 * URL the provider was given. The verifier being readable by the browser is
 * fine — PKCE protects against someone else redeeming an intercepted code,
 * and they do not have this browser's cookie. The callback URL is kept so
 * the token request repeats exactly the redirect_uri of the authorization
 * request even when the hub sits behind a TLS-terminating proxy and sees its
 * own request URL differently.
 */
import * as client from 'openid-client'
import type { AuthRequest, LoginStart } from '../authenticator.ts'
import { LoginRefusedError } from '../authenticator.ts'
import { loginFailure, type ProviderContext } from './oauth-errors.ts'

export interface CodeFlowStart {
  scope: string
  /** OIDC: send and later check a nonce. */
  nonce: boolean
  /** Extra authorization parameters (prompt, hd, acr_values…); ours win on conflicts. */
  extraParams?: Readonly<Record<string, string>>
}

export async function startCodeFlow(config: client.Configuration, callbackUrl: string, start: CodeFlowStart): Promise<LoginStart> {
  const codeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const params: Record<string, string> = {
    ...start.extraParams,
    redirect_uri: callbackUrl,
    response_type: 'code',
    scope: start.scope,
    state,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }
  const flow: Record<string, string> = { state, codeVerifier, callbackUrl }
  if (start.nonce) {
    flow.nonce = client.randomNonce()
    params.nonce = flow.nonce
  }
  return { redirectTo: client.buildAuthorizationUrl(config, params).href, flow }
}

/**
 * Checks the callback against the flow and redeems the code. Throws
 * LoginRefusedError (400/403) for a callback that does not fit this browser's
 * login or that the provider refused, IdentityProviderError (502/503) when
 * the provider is unreachable or misconfigured.
 */
export async function finishCodeFlow(config: client.Configuration, req: AuthRequest, provider: ProviderContext): Promise<Awaited<ReturnType<typeof client.authorizationCodeGrant>>> {
  const flow = req.flow
  const query = req.url.searchParams
  if (flow?.state === undefined || flow.codeVerifier === undefined || flow.callbackUrl === undefined) {
    throw new LoginRefusedError('OAUTH_NO_LOGIN_IN_PROGRESS', 'No login was started in this browser, or it took too long. Start the login again.', 400)
  }
  // The provider's own refusal comes before any state check: "access denied" is more useful than "state mismatch".
  if (query.get('error') === null && query.get('state') !== flow.state) {
    throw new LoginRefusedError('OAUTH_STATE_MISMATCH', 'This login callback does not belong to the login started in this browser (state mismatch). Start the login again.', 400)
  }
  const currentUrl = new URL(flow.callbackUrl)
  currentUrl.search = req.url.search
  try {
    return await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: flow.codeVerifier,
      expectedState: flow.state,
      ...(flow.nonce === undefined ? {} : { expectedNonce: flow.nonce }),
    })
  } catch (err) {
    throw loginFailure(err, provider)
  }
}

/** `expires_at` in seconds since the epoch, as OAuth libraries keep it. */
export function expiresAt(expiresIn: number | undefined, now = Date.now()): number | undefined {
  return expiresIn === undefined ? undefined : Math.floor(now / 1000) + expiresIn
}
