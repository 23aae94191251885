/**
 * Talking to a real Jupyter server in e2e tests: start a kernel through the
 * REST API and run code over the kernel's WebSocket (the Jupyter messaging
 * protocol, `execute_request` → `execute_result`), try a WebSocket upgrade
 * and see how it is answered, and wait for a condition with a deadline.
 */
import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'

export const SINGLEUSER = '/usr/bin/jupyterhub-singleuser'

/** Credentials for one client: a browser's Cookie header (+ its _xsrf cookie value), or an API token. */
export interface JupyterClient {
  origin: string
  cookie?: string
  xsrf?: string
  token?: string
}

function headersOf(client: JupyterClient, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { ...extra }
  if (client.cookie !== undefined) headers.cookie = client.cookie
  if (client.xsrf !== undefined) headers['x-xsrftoken'] = client.xsrf
  if (client.token !== undefined) headers.authorization = `token ${client.token}`
  return headers
}

/** One request with the client's credentials (no redirects followed). */
export function jupyterFetch(client: JupyterClient, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body)
  return fetch(new URL(path, client.origin), {
    method: init.method ?? 'GET',
    headers: headersOf(client, body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  })
}

/** Starts a kernel under `prefix` ('/user/alice'); returns its id. */
export async function startKernel(client: JupyterClient, prefix: string): Promise<string> {
  const created = await jupyterFetch(client, `${prefix}/api/kernels`, { method: 'POST', body: {} })
  if (created.status !== 201) throw new Error(`kernel start answered ${created.status}: ${await created.text()}`)
  return ((await created.json()) as { id: string }).id
}

function channelsUrl(client: JupyterClient, prefix: string, kernelId: string): URL {
  return new URL(`${prefix}/api/kernels/${kernelId}/channels`, client.origin.replace(/^http/, 'ws'))
}

/** Runs `code` on kernel `kernelId` over its WebSocket; resolves with the text/plain result. */
export async function runOnKernel(client: JupyterClient, prefix: string, kernelId: string, code: string): Promise<string> {
  const socket = new WebSocket(channelsUrl(client, prefix, kernelId), { headers: headersOf(client) })
  try {
    return await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('no execute_result within 30 s')), 30_000)
      socket.once('error', (error) => (clearTimeout(timer), fail(error)))
      socket.once('unexpected-response', (_req, res) => (clearTimeout(timer), fail(new Error(`WebSocket refused with ${res.statusCode}`))))
      socket.once('open', () => {
        const msgId = randomUUID()
        socket.send(JSON.stringify({
          header: { msg_id: msgId, username: 'e2e', session: randomUUID(), msg_type: 'execute_request', version: '5.3' },
          parent_header: {},
          metadata: {},
          content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
          channel: 'shell',
        }))
        socket.on('message', (raw) => {
          const message = JSON.parse(String(raw)) as { msg_type: string; parent_header: { msg_id?: string }; content: { data?: Record<string, string> } }
          if (message.msg_type === 'execute_result' && message.parent_header.msg_id === msgId) {
            clearTimeout(timer)
            done(message.content.data?.['text/plain'] ?? '')
          }
        })
      })
    })
  } finally {
    socket.close()
  }
}

/** Tries to open the kernel's WebSocket; resolves with the HTTP status of a refusal, or 101 when it opened. */
export function kernelSocketStatus(client: JupyterClient, prefix: string, kernelId: string): Promise<number> {
  const socket = new WebSocket(channelsUrl(client, prefix, kernelId), { headers: headersOf(client) })
  return new Promise<number>((done, fail) => {
    const timer = setTimeout(() => (socket.terminate(), fail(new Error('no answer to the upgrade within 10 s'))), 10_000)
    socket.once('open', () => (clearTimeout(timer), socket.close(), done(101)))
    socket.once('unexpected-response', (_req, res) => (clearTimeout(timer), res.resume(), socket.terminate(), done(res.statusCode ?? 0)))
    socket.once('error', (error) => (clearTimeout(timer), fail(error)))
  })
}

/** Calls `probe` every 250 ms until it returns a value (not undefined) or `seconds` pass. */
export async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value !== undefined) return value
    } catch (error) {
      lastError = error
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`)
}
