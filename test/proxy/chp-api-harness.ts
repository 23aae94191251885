/**
 * Set-up shared by the CHP API tests: a createChpApi server on 127.0.0.1:0
 * over Routes on a memory store (that can be made to fail), and small HTTP
 * clients, including raw ones for paths and methods fetch would normalise.
 */
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { createChpApi, type ChpApiDeps } from '../../src/proxy/chp-api.ts'
import { RouteTable } from '../../src/proxy/route-table.ts'
import { Routes, emptyRouteState, routeReducer, type Route, type RouteOp, type RouteState } from '../../src/proxy/route-store.ts'
import { memoryStore } from '../../src/store/memory-store.ts'
import type { Store } from '../../src/store/store.ts'

export const TOKEN = 'secret-token-for-tests'
export const AUTH = { Authorization: `token ${TOKEN}` }
export const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

export interface Harness {
  base: string
  routes: Routes
  calls: Array<[string, number]>
  logs: Array<{ level: number; msg: string }>
  /** Makes the store's next commits fail (simulates a full disk). */
  breakStore(broken: boolean): void
}

export function newRoutes(now?: () => number): { routes: Routes; breakStore(broken: boolean): void } {
  const table = new RouteTable<Route>()
  const inner = memoryStore<RouteState, RouteOp>({ initial: emptyRouteState, apply: routeReducer(table) })
  let broken = false
  const store: Store<RouteState, RouteOp> = {
    get state() {
      return inner.state
    },
    async commit(op) {
      if (broken) throw new Error('ENOSPC: no space left on device, write')
      return inner.commit(op)
    },
    compact: () => inner.compact(),
    close: () => inner.close(),
  }
  return { routes: new Routes(table, store, now), breakStore: (b) => (broken = b) }
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export async function startApi(t: Tap, options: Partial<ChpApiDeps> = {}, now?: () => number): Promise<Harness> {
  const { routes, breakStore } = newRoutes(now)
  const calls: Array<[string, number]> = []
  const logs: Array<{ level: number; msg: string }> = []
  const log = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) })
  const api = createChpApi({
    routes,
    authToken: TOKEN,
    log,
    metrics: { apiCall: (method, status) => calls.push([method, status]) },
    ...options,
  })
  const server = createServer(api)
  const base = await listen(server)
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { base, routes, calls, logs, breakStore }
}

/** What the set-up helpers need from a test. */
export interface Tap {
  teardown(fn: () => unknown): void
}

export interface Reply {
  status: number
  headers: Headers
  text: string
  json: unknown
}

export async function call(base: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const res = await fetch(base + path, {
    method,
    headers: init.headers ?? AUTH,
    body: init.body,
    signal: AbortSignal.timeout(10_000),
  })
  const text = await res.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

export const post = (base: string, path: string, data: unknown, headers: Record<string, string> = AUTH): Promise<Reply> =>
  call(base, 'POST', path, { headers: { ...headers, 'Content-Type': 'application/json' }, body: typeof data === 'string' ? data : JSON.stringify(data) })

/** Sends a raw request line (fetch and http.request normalise paths and methods). */
export async function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = AUTH): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, timeout: 10_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within 10 s`)))
    req.on('error', reject)
    req.end()
  })
}

export const userRoute = (name: string, port = 9000) => ({
  target: `http://127.0.0.1:${port}`,
  jupyterhub: true,
  user: name,
  server_name: '',
})

/** POSTs raw bytes in chunks without Content-Length (chunked), as a streaming client would. */
export async function rawPost(base: string, path: string, body: Buffer, headers: Record<string, string>, chunkSize = 16 * 1024): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined>; wrote: number }> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    let wrote = 0
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path, headers: { ...AUTH, ...headers }, timeout: 10_000 }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers, wrote }))
    })
    req.on('timeout', () => req.destroy(new Error(`no answer to POST ${path} within 10 s`)))
    req.on('error', (err) => (wrote < body.length ? undefined : reject(err)))
    const writeNext = (): void => {
      while (wrote < body.length) {
        const chunk = body.subarray(wrote, wrote + chunkSize)
        wrote += chunk.length
        if (!req.write(chunk)) {
          req.once('drain', writeNext)
          return
        }
      }
      req.end()
    }
    writeNext()
  })
}
