/**
 * CHP's --redirect-port: a plain-http listener that sends every request to
 * the same host and path on https (port --redirect-to, default --port).
 */
import http from 'node:http'

export function createRedirectServer(httpsPort: number): http.Server {
  return http.createServer((req, res) => {
    const host = req.headers.host
    if (host === undefined || host === '') {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(`this address serves only https on port ${httpsPort}, and the request has no Host header to redirect to\n`)
      return
    }
    // Strip a port (IPv6 literals keep their brackets).
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]
    const authority = httpsPort === 443 ? name : `${name}:${httpsPort}`
    res.writeHead(301, { location: `https://${authority}${req.url ?? '/'}` })
    res.end()
  })
}
