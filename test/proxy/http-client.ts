/**
 * Small HTTP clients for the proxy tests: a request with everything about
 * the answer kept, a raw request on a socket (for headers a normal client
 * would not send), and the echo backend's view of a forwarded request.
 */
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { connect } from 'node:net'

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  body: string
}

export function send(base: string, path: string, options: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {}): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(options.body)
  })
}

/** Sends raw bytes, returns the response head once it arrived. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text))
    let got = ''
    socket.on('data', (c: Buffer) => {
      got += c.toString()
      if (got.includes('\r\n\r\n')) {
        socket.destroy()
        resolve(got)
      }
    })
    socket.on('error', reject)
  })
}

/** What the echo backend saw. */
export function seen(answer: Answer): { method: string; url: string; headers: IncomingHttpHeaders; rawHeaders: string[] } {
  return JSON.parse(answer.body)
}
