/**
 * Readiness: a server is ready once an HTTP GET of its URL answers with
 * anything but 5xx (as JupyterHub checks). Polls with backoff until then,
 * while checking that the server is still alive so one that exits fails at
 * once instead of at the timeout.
 */
import http from 'node:http'
import https from 'node:https'
import { setTimeout as sleep } from 'node:timers/promises'

/** One GET; resolves to the status code, or 0 when nothing answered. */
export function probe(url: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get
    const req = get(url, { headers, agent: false, timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(0))
  })
}

export class ServerGoneError extends Error {
  constructor() {
    super('the server stopped while waiting for it to answer')
    this.name = 'ServerGoneError'
  }
}

export interface WaitReadyOptions {
  headers: Record<string, string>
  signal: AbortSignal
  /**
   * Resolves false when the server has stopped. Called after `aliveCheckMs`
   * (default 200), then at doubling intervals up to 5 s — cheap for a local
   * process, and not a flood of calls for a script spawner's poll.
   */
  isAlive: () => Promise<boolean>
  aliveCheckMs?: number
  /** Timeout of one GET (default 2000 ms). */
  probeTimeoutMs?: number
}

/**
 * Resolves once `url` answers below 500. Rejects with the signal's reason when
 * it aborts, or ServerGoneError when isAlive() says the server is gone.
 */
export async function waitReady(url: string, options: WaitReadyOptions): Promise<void> {
  const { signal } = options
  let aliveCheckMs = options.aliveCheckMs ?? 200
  let delay = 10
  const started = Date.now()
  let lastAliveCheck = started
  for (;;) {
    signal.throwIfAborted()
    const status = await probe(url, options.headers, options.probeTimeoutMs ?? 2000)
    if (status > 0 && status < 500) return
    signal.throwIfAborted()
    if (Date.now() - lastAliveCheck >= aliveCheckMs) {
      lastAliveCheck = Date.now()
      aliveCheckMs = Math.min(aliveCheckMs * 2, 5000)
      if (!(await options.isAlive())) throw new ServerGoneError()
    }
    await sleep(delay, undefined, { signal }).catch(() => {})
    // A refused probe of a local server costs well under a millisecond, so the
    // first seconds poll often (at most 50 ms late); a slow start backs off to 1 s.
    delay = Math.min(Math.round(delay * 1.5), Date.now() - started < 5000 ? 50 : 1000)
  }
}
