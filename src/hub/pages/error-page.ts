/**
 * Error answers of the hub's pages: an HTML page that says what happened and
 * what to do (404 under /hub, 403, 429, 500 …). Paths under /hub/api answer
 * JSON `{"status","message"}` (the API plugin has its own handler; this one
 * is the fallback for paths it does not know).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { HubContext } from '../context.ts'
import { html } from '../views/html.ts'
import { layout } from '../views/layout.ts'
import { PageError } from './page-error.ts'
import { pageUser, sessionXsrf } from './page-session.ts'

const ADVICE: Record<number, string> = {
  400: 'Check the address or the form and try again.',
  403: 'You are not allowed to do this. If you think you should be, ask an administrator.',
  404: 'Check the address, or start again from the home page.',
  405: 'This address does not accept that kind of request.',
  413: 'What you sent is too large.',
  429: 'Wait a little, then try again.',
  500: 'Something went wrong inside the hub. Try again; if it keeps happening, tell an administrator (the hub log has the details).',
}

function isApiPath(url: string): boolean {
  return url === '/hub/api' || url.startsWith('/hub/api/') || url.startsWith('/hub/api?')
}

export function sendErrorPage(hub: HubContext, req: FastifyRequest, reply: FastifyReply, status: number, message: string, advice: string | undefined): FastifyReply {
  if (isApiPath(req.url)) return reply.code(status).type('application/json').send(JSON.stringify({ status, message }))
  let user
  try {
    user = pageUser(hub, req, reply) ?? undefined
  } catch {
    user = undefined
  }
  const title = STATUS_CODES[status] ?? 'Error'
  const body = html`<div class="card">
<p class="status">${status}</p>
<h1>${title}</h1>
<p>${message}</p>
<p class="muted">${advice ?? ADVICE[status] ?? ADVICE[500]}</p>
<div class="actions"><a class="button" href="/hub/home">Go to the home page</a>${user === undefined ? html`<a href="/hub/login">Log in</a>` : ''}</div>
</div>`
  const page = layout({ title, user: user?.user, xsrf: user === undefined ? undefined : sessionXsrf(hub, user), body })
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page.text)
}

export function installErrorPages(app: FastifyInstance, hub: HubContext): void {
  app.setNotFoundHandler((req, reply) => sendErrorPage(hub, req, reply, 404, `There is no page at ${req.url.split('?')[0]}.`, undefined))

  app.setErrorHandler((err: FastifyError | PageError | Error, req, reply) => {
    if (err instanceof PageError) {
      if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter))
      return sendErrorPage(hub, req, reply, err.status, err.message, err.advice)
    }
    const own = (err as unknown as { status?: unknown }).status
    const status = typeof own === 'number'
      ? own
      : typeof (err as FastifyError).statusCode === 'number' ? (err as FastifyError).statusCode as number : 500
    if (status >= 500) {
      req.log.error({ err }, 'hub page failed')
      return sendErrorPage(hub, req, reply, status, 'The hub could not complete this request.', undefined)
    }
    return sendErrorPage(hub, req, reply, status, err.message, undefined)
  })
}
