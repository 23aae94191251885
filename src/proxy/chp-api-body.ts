/**
 * Reading a CHP API request body: bounded, then parsed as a JSON object.
 *
 * configurable-http-proxy buffers whatever arrives; monohub stops at a limit
 * so a client (or an attacker with the token) cannot make the proxy hold an
 * unbounded body in memory.
 */
import type { IncomingMessage } from 'node:http'
import { ExplainedError } from '../explained-error.ts'

/** A client mistake in the body: too large or not a JSON object. */
export class BodyError extends ExplainedError {
  constructor(code: 'BODY_TOO_LARGE' | 'BAD_JSON', message: string) {
    super(code, code === 'BODY_TOO_LARGE' ? 413 : 400, message)
  }
}

/** The request ended before its body did (client gone); nobody is left to answer. */
export class BodyAbortedError extends Error {
  readonly code = 'BODY_ABORTED'
}

function tooLarge(maxBytes: number): BodyError {
  return new BodyError(
    'BODY_TOO_LARGE',
    `request body is larger than ${maxBytes} bytes; a route is a target URL and a few keys — send less data`,
  )
}

/**
 * Collects the body, failing with BodyError(413) as soon as it passes
 * `maxBytes` (at once when Content-Length already says so). Stops listening
 * on failure; the caller answers with `Connection: close` so the rest of the
 * upload is not read.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge(maxBytes))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) {
        stop()
        chunks.length = 0
        reject(tooLarge(maxBytes))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      stop()
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    const onError = (err: Error): void => {
      stop()
      reject(new BodyAbortedError(`request body was not received completely: ${err.message}`))
    }
    const onClose = (): void => {
      if (req.complete) return
      stop()
      reject(new BodyAbortedError('client closed the connection before sending the whole body'))
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

/**
 * Parses a body as a JSON object. Like CHP, the Content-Type header is not
 * checked: JupyterHub and curl users send JSON with whatever type they send.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    const detail = text.length === 0 ? 'the body is empty' : (err as Error).message
    throw new BodyError(
      'BAD_JSON',
      `request body is not valid JSON (${detail}); send an object like {"target": "http://127.0.0.1:8888"}`,
    )
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    throw new BodyError(
      'BAD_JSON',
      `request body must be a JSON object like {"target": "http://127.0.0.1:8888"}, got ${kind}`,
    )
  }
  return value as Record<string, unknown>
}
