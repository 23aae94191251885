/**
 * The base of every error meant for a person: a stable `code` (for programs
 * and tests), an HTTP-style `status` (what an API or page answers with) and a
 * message that says what happened and what to do. The CLI prints such errors
 * as their message alone; anything else is a bug and shows its stack.
 *
 * It lives at the root of src because every folder throws these; it imports
 * nothing, so the folders still depend only downward.
 */
export class ExplainedError extends Error {
  readonly code: string
  readonly status: number

  constructor(code: string, status: number, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
    this.status = status
  }
}
