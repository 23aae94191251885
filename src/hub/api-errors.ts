/**
 * The REST API's error: a stable `code`, the HTTP `status` and a message a
 * person can act on. The API's error handler turns it (and any other error
 * carrying a numeric `status`, such as UserNameError or ScopeError) into
 * JupyterHub's JSON shape `{"status": N, "message": "…"}`.
 */
import { ExplainedError } from '../explained-error.ts'

export class ApiError extends ExplainedError {
  constructor(status: number, code: string, message: string) {
    super(code, status, message)
  }
}

/** 403 — the caller is known (or not) but may not do this. JupyterHub answers 403 for missing credentials too. */
export function forbidden(message: string, code = 'FORBIDDEN'): ApiError {
  return new ApiError(403, code, message)
}

export function notFound(message: string, code = 'NOT_FOUND'): ApiError {
  return new ApiError(404, code, message)
}

export function badRequest(message: string, code = 'BAD_REQUEST'): ApiError {
  return new ApiError(400, code, message)
}

export function conflict(message: string, code = 'CONFLICT'): ApiError {
  return new ApiError(409, code, message)
}
