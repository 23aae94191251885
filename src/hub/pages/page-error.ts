/**
 * An error a page shows as-is: what happened (`message`) and what to do
 * (`advice`), with a stable `code` and the HTTP `status`.
 */
import { ExplainedError } from '../../explained-error.ts'

export class PageError extends ExplainedError {
  readonly advice: string
  /** Seconds, for 429 (sent as Retry-After). */
  readonly retryAfter: number | undefined

  constructor(status: number, code: string, message: string, advice: string, retryAfter?: number) {
    super(code, status, message)
    this.advice = advice
    this.retryAfter = retryAfter
  }
}
