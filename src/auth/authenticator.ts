/**
 * The Authenticator seam: how the hub learns who someone is. Built-in ones
 * live in ./authenticators/ (one file each); a config module may pass its own
 * object with this shape.
 *
 * - 'form': the hub shows its login form and passes the posted fields.
 * - 'redirect': `startLogin` sends the browser to an identity provider and
 *   returns `flow` state, which the hub keeps in a short-lived signed cookie
 *   and hands back to `authenticate` on the callback request.
 * - 'header': a trusted front end already authenticated the request.
 *
 * `authenticate` answers who it is (or null: not authenticated); whether that
 * person may log in, and as admin, is decided afterwards by access-rules.ts,
 * the same way for every authenticator.
 */
import { ExplainedError } from '../explained-error.ts'

export interface AuthResult {
  /** Raw name as the identity source gives it; the hub normalises and validates it. */
  name: string
  /** true/false to set admin from the source; undefined to leave it to the rules and the user record. */
  admin?: boolean
  groups?: string[]
  /** Tokens and claims from the identity provider; kept server-side, never sent to the browser. */
  authState?: Record<string, unknown>
}

/** What the hub passes in: the parts of the request an authenticator may need, framework-free. */
export interface AuthRequest {
  /** Full request URL as the browser sent it (callbacks need the query). */
  url: URL
  method: string
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | string[] | undefined>>
  /** The TCP peer's address (not X-Forwarded-For). */
  remoteAddress: string
  /** Posted form fields (form kind). */
  form?: Readonly<Record<string, string>>
  /** What startLogin returned, for redirect kinds. */
  flow?: Readonly<Record<string, string>>
}

export interface LoginStart {
  /** Where to send the browser. */
  redirectTo: string
  /** Kept by the hub (signed cookie, a few minutes) and given back on the callback. */
  flow: Record<string, string>
}

export interface Authenticator {
  readonly name: string
  readonly kind: 'form' | 'redirect' | 'header'
  /** Label for the login button ("Sign in with Keycloak"); form kinds may omit it. */
  readonly label?: string
  /**
   * Request headers that carry credentials meant for the hub alone (a trusted
   * front end's user, groups and shared-secret headers): the hub's proxy
   * strips them from every request it forwards, so no user server sees them.
   */
  readonly privateRequestHeaders?: readonly string[]
  /** Redirect kinds: begin a login. `callbackUrl` is this hub's absolute callback URL. */
  startLogin?(req: AuthRequest, callbackUrl: string): Promise<LoginStart>
  /** Who made this request, or null when they did not prove it. May throw an error with `code` and `status`. */
  authenticate(req: AuthRequest): Promise<AuthResult | null>
}

/** A refusal an authenticator wants shown as-is (e.g. "your account waits for approval"). */
export class LoginRefusedError extends ExplainedError {
  constructor(code: string, message: string, status = 403) {
    super(code, status, message)
  }
}
