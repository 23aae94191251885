/**
 * A backend for proxy tests: answers every request with JSON describing it
 * (its name, method, url, headers), on 127.0.0.1 and a free port; closed in
 * t.teardown.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Teardown } from './monohub-proxy.ts'

export interface EchoBackend {
  url: string
  /** Requests seen so far. */
  hits: number
}

export interface Echo {
  backend: string
  method: string
  url: string
  headers: http.IncomingHttpHeaders
}

export async function startEchoBackend(t: Teardown, name: string): Promise<EchoBackend> {
  const backend = { url: '', hits: 0 }
  const server = http.createServer((req, res) => {
    backend.hits++
    req.resume()
    req.on('end', () => {
      const body: Echo = { backend: name, method: req.method ?? '', url: req.url ?? '', headers: req.headers }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return backend
}
