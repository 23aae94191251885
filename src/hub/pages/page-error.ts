/**
 * An error a page shows as-is: what happened (`message`) and what to do
 * (`advice`), with a stable `code` and the HTTP `status`.
 */
export class PageError extends Error {
  readonly status: number
  readonly code: string
  readonly advice: string
  /** Seconds, for 429 (sent as Retry-After). */
  readonly retryAfter: number | undefined

  constructor(status: number, code: string, message: string, advice: string, retryAfter?: number) {
    super(message)
    this.name = 'PageError'
    this.status = status
    this.code = code
    this.advice = advice
    this.retryAfter = retryAfter
  }
}
