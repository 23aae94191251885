/**
 * A built-in authenticator was given options it cannot work with. Thrown by
 * the factories at start-up, so a wrong config stops the hub with a message
 * naming the option, instead of failing at the first login.
 */
export class AuthenticatorConfigError extends Error {
  readonly code = 'AUTHENTICATOR_CONFIG'
  readonly status = 500
  /** The option at fault, as written in the config (`authenticator.issuer`). */
  readonly option: string
  constructor(option: string, message: string) {
    super(`${option}: ${message}`)
    this.name = 'AuthenticatorConfigError'
    this.option = option
  }
}
