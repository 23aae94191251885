/**
 * Error answers of the proxy: a clean built-in HTML page (or JSON for API
 * clients) saying what happened and what to do, or — like
 * configurable-http-proxy — a page fetched from `--error-target`
 * (`<url>/<code>?url=<original url>`) or read from `--error-path`
 * (`<dir>/<code>.html`, else `<dir>/error.html`). Whatever custom source
 * fails, the built-in page is the fallback; an error answer never throws.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { Logger } from 'pino'

export interface ErrorPages {
  /** Answers `res` with status `status`; `detail` is a short cause shown to the person. */
  send(req: IncomingMessage, res: ServerResponse, status: number, detail?: string): void
}

export interface ErrorPageOptions {
  errorTarget: string | undefined
  errorPath: string | undefined
  /** Used to fetch from errorTarget. */
  dispatcher: Dispatcher
  log: Logger
}

interface Explanation {
  title: string
  advice: string
}

const EXPLANATIONS: Record<number, Explanation> = {
  400: {
    title: 'Bad request',
    advice: 'The address could not be read. Check the link for a stray "%" that is not followed by two hexadecimal digits.',
  },
  401: { title: 'Not signed in', advice: 'Sign in to the hub, then open this address again.' },
  403: { title: 'Forbidden', advice: 'You are signed in but may not open this address. Ask an administrator for access.' },
  404: {
    title: 'Nothing here',
    advice: 'No server is routed at this address. If you expected one, it may have been stopped: start it again from the hub home page, or check the link.',
  },
  405: { title: 'Method not allowed', advice: 'This address does not accept that HTTP method.' },
  500: { title: 'Internal error', advice: 'The proxy failed while handling this request. Try again; if it keeps failing, the proxy log has the details.' },
  502: { title: 'Bad gateway', advice: 'The server behind this address sent an answer the proxy could not use. Try again, or restart the server from the hub.' },
  503: {
    title: 'Server not reachable',
    advice: 'The server for this address did not answer. It may be starting, stopped or overloaded. Wait a moment and reload; if this persists, restart it from the hub home page.',
  },
  504: { title: 'Server timed out', advice: 'The server for this address took too long to answer. Reload in a moment, or restart it from the hub.' },
}

function explain(status: number): Explanation {
  return EXPLANATIONS[status] ?? { title: STATUS_CODES[status] ?? 'Error', advice: 'The request could not be completed.' }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!)
}

/** The built-in page, every interpolated value escaped. */
export function builtInPage(status: number, url: string, detail: string | undefined): string {
  const { title, advice } = explain(status)
  const path = url.split('?', 1)[0] ?? ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${status} ${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.6rem;margin-bottom:.2rem}code{background:#f2f2f2;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
.status{color:#888}</style></head>
<body><p class="status">${status}</p><h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(advice)}</p>
<p>Address: <code>${escapeHtml(path)}</code></p>
${detail === undefined ? '' : `<p>Cause: <code>${escapeHtml(detail)}</code></p>\n`}<p><a href="/hub/home">Go to the hub home page</a></p>
</body></html>
`
}

function wantsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept
  return accept !== undefined && accept.includes('application/json') && !accept.includes('text/html')
}

function sendBuiltIn(req: IncomingMessage, res: ServerResponse, status: number, detail: string | undefined): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (res.writableEnded || res.destroyed) return
  if (wantsJson(req)) {
    const { title, advice } = explain(status)
    const message = `${title}: ${detail === undefined ? '' : detail + ' — '}${advice}`
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ status, message }))
    return
  }
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
  res.end(builtInPage(status, req.url ?? '/', detail))
}

export function createErrorPages(options: ErrorPageOptions): ErrorPages {
  const { errorPath, dispatcher, log } = options
  let errorTarget: URL | undefined
  if (options.errorTarget !== undefined) {
    errorTarget = new URL(options.errorTarget)
    if (!errorTarget.pathname.endsWith('/')) errorTarget.pathname += '/'
  }

  async function fromTarget(base: URL, req: IncomingMessage, res: ServerResponse, status: number, detail: string | undefined): Promise<void> {
    const url = new URL(base)
    url.pathname += String(status)
    url.searchParams.set('url', req.url ?? '/')
    try {
      const answer = await dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'GET',
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      })
      if (res.headersSent || res.destroyed) {
        answer.body.resume()
        return
      }
      const headers: Record<string, string | string[]> = {}
      for (const name of ['content-type', 'content-encoding']) {
        const value = answer.headers[name]
        if (value !== undefined) headers[name] = value
      }
      res.writeHead(status, headers)
      answer.body.on('error', () => res.destroy())
      answer.body.pipe(res)
    } catch (err) {
      log.warn({ err, errorTarget: url.origin + url.pathname }, 'custom error page could not be fetched; using the built-in page')
      sendBuiltIn(req, res, status, detail)
    }
  }

  async function fromPath(dir: string, req: IncomingMessage, res: ServerResponse, status: number, detail: string | undefined): Promise<void> {
    let page: Buffer | undefined
    for (const name of [`${status}.html`, 'error.html']) {
      try {
        page = await readFile(join(dir, name))
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err, file: join(dir, name) }, 'custom error page could not be read')
      }
    }
    if (page === undefined) {
      sendBuiltIn(req, res, status, detail)
      return
    }
    if (res.headersSent || res.destroyed) return
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
    res.end(page)
  }

  return {
    send(req, res, status, detail) {
      if (res.headersSent) {
        // Too late for a page: the client sees a cut-off response.
        res.destroy()
        return
      }
      if (errorTarget !== undefined) void fromTarget(errorTarget, req, res, status, detail)
      else if (errorPath !== undefined) void fromPath(errorPath, req, res, status, detail)
      else sendBuiltIn(req, res, status, detail)
    },
  }
}

/** Answers a not-yet-upgraded socket with a bare HTTP error and closes it. */
export function writeSocketError(socket: Duplex, status: number): void {
  if (socket.destroyed) return
  if (socket.writable) {
    const reason = STATUS_CODES[status] ?? 'Error'
    socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`)
  }
  // The server's sockets allow half-open: end() alone would wait for the client.
  const net = socket as Duplex & { destroySoon?: () => void }
  if (typeof net.destroySoon === 'function') net.destroySoon()
  else socket.end()
}
