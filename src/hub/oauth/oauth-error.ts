/**
 * Errors of the OAuth token endpoint, in RFC 6749 §5.2's JSON shape
 * `{"error": "invalid_grant", "error_description": "…"}` — what OAuth
 * clients (jupyterhub-singleuser's HubOAuth among them) read.
 */
import { ExplainedError } from '../../explained-error.ts'

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'access_denied'

export class OAuthError extends ExplainedError {
  readonly error: OAuthErrorCode

  constructor(status: 400 | 401 | 403, error: OAuthErrorCode, description: string) {
    super(`OAUTH_${error.toUpperCase()}`, status, description)
    this.error = error
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message }
  }
}
