/**
 * A built-in authenticator was given options it cannot work with. Thrown by
 * the factories at start-up, so a wrong config stops the hub with a message
 * naming the option, instead of failing at the first login.
 */
import { ExplainedError } from '../../explained-error.ts'

export class AuthenticatorConfigError extends ExplainedError {
  /** The option at fault, as written in the config (`authenticator.issuer`). */
  readonly option: string
  constructor(option: string, message: string) {
    super('AUTHENTICATOR_CONFIG', 500, `${option}: ${message}`)
    this.option = option
  }
}
