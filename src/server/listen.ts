/**
 * Binding listeners, with failures turned into one line that names the
 * address, the port, what went wrong and the flag to change.
 */
import type { Server } from 'node:net'
import { ExplainedError } from '../explained-error.ts'

export class ListenError extends ExplainedError {
  readonly host: string
  readonly port: number

  constructor(message: string, host: string, port: number, options?: ErrorOptions) {
    super('LISTEN_FAILED', 500, message, options)
    this.host = host
    this.port = port
  }
}

const reasons: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another process listens there)',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'the address is not available on this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
}

/** "127.0.0.1:8000", "[::1]:8000", "*:8000" for all interfaces. */
export function hostPort(host: string, port: number): string {
  if (host === '') return `*:${port}`
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** A URL to show for a listener; all-interfaces is shown as the machine's loopback name. */
export function listenerUrl(protocol: 'http' | 'https', host: string, port: number): string {
  const shown = host === '' || host === '0.0.0.0' || host === '::' ? 'localhost' : host
  return `${protocol}://${hostPort(shown, port)}`
}

/**
 * Listens on host:port ('' = all interfaces). `what` names the listener and
 * `flags` the options that set it, for the error message.
 */
export function listen(server: Server, host: string, port: number, what: string, flags: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening)
      const reason = reasons[err.code ?? ''] ?? err.message
      reject(new ListenError(`cannot listen on ${hostPort(host, port)} for ${what}: ${reason} — choose another with ${flags}`, host, port, { cause: err }))
    }
    const onListening = (): void => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    if (host === '') server.listen(port)
    else server.listen(port, host)
  })
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what is left. */
export function closeServer(server: Server & { closeIdleConnections?: () => void; closeAllConnections?: () => void }, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    const timer = setTimeout(() => server.closeAllConnections?.(), graceMs)
    timer.unref()
    server.close(() => {
      clearTimeout(timer)
      resolve()
    })
    server.closeIdleConnections?.()
  })
}
