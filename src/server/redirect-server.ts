/**
 * CHP's --redirect-port: a plain-http listener that sends every request to
 * the same host and path on https (port --redirect-to, default --port).
 *
 * The host comes from the request's Host header, as in CHP: a browser sends
 * the name it connected to, so the redirect stays on that site. Anything that
 * is not a plain host name or IP literal is refused rather than echoed into a
 * Location header.
 */
import http from 'node:http'

/** A DNS name or IPv4 address, or a bracketed IPv6 literal; an optional :port. */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

function refuse(res: http.ServerResponse, message: string): void {
  res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
  res.end(`${message}\n`)
}

export function createRedirectServer(httpsPort: number): http.Server {
  return http.createServer((req, res) => {
    const host = req.headers.host
    if (host === undefined || host === '') {
      refuse(res, `this address serves only https on port ${httpsPort}, and the request has no Host header to redirect to`)
      return
    }
    if (!HOST_HEADER.test(host)) {
      refuse(res, `this address serves only https on port ${httpsPort}; the Host header is not a host name, so there is nowhere safe to redirect to`)
      return
    }
    // Strip a port (IPv6 literals keep their brackets).
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]
    const authority = httpsPort === 443 ? name : `${name}:${httpsPort}`
    const path = req.url !== undefined && req.url.startsWith('/') ? req.url : '/'
    res.writeHead(301, { location: `https://${authority}${path}` })
    res.end()
  })
}
