/**
 * What went wrong talking to an identity provider, said so a person can act
 * on it. openid-client throws a handful of shapes (fetch TypeErrors with an
 * errno cause, ResponseBodyError with `error`, AuthorizationResponseError,
 * ClientError with an OAUTH_* code); this file turns each into either
 *
 * - LoginRefusedError (400/403): the login itself failed — denied at the
 *   provider, stale or replayed callback, mismatched state or nonce. The
 *   person should start again (or ask for access).
 * - IdentityProviderError (502/503): the provider is unreachable or answers
 *   in a way that means the hub's configuration is wrong. An administrator
 *   must act; the message names the config option.
 */
import { LoginRefusedError } from '../authenticator.ts'
import { ExplainedError } from '../../explained-error.ts'

export class IdentityProviderError extends ExplainedError {
  constructor(code: string, message: string, status = 502, options?: { cause?: unknown }) {
    super(code, status, message, options)
  }
}

/** Who we were talking to, for messages: `issuer https://…` and the config prefix. */
export interface ProviderContext {
  /** "issuer https://id.example" or "GitHub (https://github.com)". */
  label: string
  /** Which config option holds the address: "authenticator.issuer". */
  addressOption: string
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID'])

/** The errno-style code behind a failed fetch (`ECONNREFUSED`), or the timeout, if this is a network failure. */
export function networkFailure(err: unknown): string | null {
  let current: unknown = err
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code
    if (current.name === 'TimeoutError' || code === 'OAUTH_TIMEOUT') return 'timed out'
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0]
    else current = current.cause
  }
  if (err instanceof TypeError && err.message === 'fetch failed') return 'fetch failed'
  return null
}

/** An OAuth `error` (+ description) in a provider's response, wherever openid-client put it — including GitHub's HTTP 200 `{error}` bodies. */
export function oauthErrorBody(err: unknown): { error: string; description?: string } | null {
  let current: unknown = err
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    // A 401 with WWW-Authenticate (invalid_client at the token endpoint) carries the error in its challenge parameters.
    if (Array.isArray(current)) current = (current[0] as { parameters?: unknown } | undefined)?.parameters ?? null
    if (current === null || typeof current !== 'object') break
    const e = current as { error?: unknown; error_description?: unknown; body?: unknown; cause?: unknown }
    if (typeof e.error === 'string') return { error: e.error, ...(typeof e.error_description === 'string' ? { description: e.error_description } : {}) }
    if (e.body !== null && typeof e.body === 'object') {
      const body = e.body as { error?: unknown; error_description?: unknown }
      if (typeof body.error === 'string') return { error: body.error, ...(typeof body.error_description === 'string' ? { description: body.error_description } : {}) }
    }
    current = e.cause
  }
  return null
}

function describe(body: { error: string; description?: string }): string {
  return body.description === undefined ? body.error : `${body.error}: ${body.description}`
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** Errors seen in the callback query (`?error=access_denied`) or on the token exchange. */
export function loginFailure(err: unknown, provider: ProviderContext): Error {
  if (err instanceof LoginRefusedError || err instanceof IdentityProviderError) return err
  const network = networkFailure(err)
  if (network !== null) {
    return new IdentityProviderError('IDP_UNREACHABLE', `could not reach ${provider.label} (${network}) — check ${provider.addressOption} and that the hub can connect to it`, 503, { cause: err })
  }
  const code = codeOf(err)
  const body = oauthErrorBody(err)
  if (code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR' && body !== null) {
    if (body.error === 'access_denied' || body.error === 'login_required' || body.error === 'consent_required' || body.error === 'interaction_required') {
      return new LoginRefusedError('OAUTH_ACCESS_DENIED', `The identity provider did not log you in (${describe(body)}). Try again, or ask an administrator if you should have access.`, 403)
    }
    return new LoginRefusedError('OAUTH_PROVIDER_ERROR', `The identity provider reported an error (${describe(body)}). Try again; if it persists, ask an administrator to check the authenticator configuration.`, 400)
  }
  if (body !== null) {
    if (body.error === 'invalid_grant' || body.error === 'bad_verification_code') {
      return new LoginRefusedError('OAUTH_CODE_REJECTED', `The identity provider rejected the login code (${describe(body)}) — it was already used or has expired. Start the login again.`, 400)
    }
    if (body.error === 'invalid_client' || body.error === 'incorrect_client_credentials' || body.error === 'unauthorized_client') {
      return new IdentityProviderError('IDP_CLIENT_REJECTED', `${provider.label} rejected this hub's client credentials (${describe(body)}) — check authenticator.clientId and authenticator.clientSecret`, 502, { cause: err })
    }
    if (body.error === 'redirect_uri_mismatch') {
      return new IdentityProviderError('IDP_REDIRECT_URI', `${provider.label} does not accept this hub's callback URL (${describe(body)}) — register the hub's /hub/oauth_callback URL with the provider`, 502, { cause: err })
    }
    return new IdentityProviderError('IDP_ERROR', `${provider.label} answered with an error (${describe(body)})`, 502, { cause: err })
  }
  const message = err instanceof Error ? err.message : String(err)
  const detail = err instanceof Error && err.cause instanceof Error ? `${message}: ${err.cause.message}` : message
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' && /state/.test(detail)) {
    return new LoginRefusedError('OAUTH_STATE_MISMATCH', 'This login callback does not belong to the login started in this browser (state mismatch). Start the login again.', 400)
  }
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && /nonce/.test(detail)) {
    return new LoginRefusedError('OIDC_NONCE_MISMATCH', 'The ID token was not issued for the login started in this browser (nonce mismatch). Start the login again.', 400)
  }
  if (code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' || code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' || code === 'OAUTH_KEY_SELECTION_FAILED') {
    return new IdentityProviderError('IDP_BAD_ID_TOKEN', `${provider.label} sent an ID token this hub cannot accept (${detail}) — check ${provider.addressOption} and authenticator.clientId, and the clocks of both machines`, 502, { cause: err })
  }
  if (code === 'OAUTH_INVALID_REQUEST' && /state|iss|code/.test(detail)) {
    return new LoginRefusedError('OAUTH_BAD_CALLBACK', `This login callback is not valid (${detail}). Start the login again.`, 400)
  }
  return new IdentityProviderError('IDP_BAD_RESPONSE', `unexpected answer from ${provider.label} (${detail})`, 502, { cause: err })
}
