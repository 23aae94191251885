/**
 * The HTML the authorize endpoint shows a person: the consent page (an
 * admin about to log in to someone else's server) and its error pages
 * (unknown client, wrong redirect_uri, no access). Under /hub/api, but
 * a browser reads these, so they are pages in the hub's frame, not JSON.
 */
import type { FastifyReply } from 'fastify'
import { STATUS_CODES } from 'node:http'
import type { OAuthClientRecord } from '../../auth/records.ts'
import { html } from '../views/html.ts'
import { hiddenXsrf, layout } from '../views/layout.ts'
import { clientServerPath } from './clients.ts'

export interface AuthorizeParams {
  client_id: string
  redirect_uri: string
  response_type: string
  state?: string | undefined
}

interface Viewer {
  name: string
  admin: boolean
}

/** "Log in to alice's server as admin?" with a form that posts the same request back (with _xsrf). */
export function sendConsentPage(reply: FastifyReply, client: OAuthClientRecord, params: AuthorizeParams, viewer: Viewer, xsrf: string): FastifyReply {
  const path = clientServerPath(client)
  const body = html`<div class="card">
<h1>Open ${client.user}'s server?</h1>
<p>The server at <code>${path}</code> belongs to <strong>${client.user}</strong>. You are logged in as <strong>${viewer.name}</strong>, who may use it${viewer.admin ? ' as an administrator' : ''}.</p>
<p class="muted">If you continue, that server learns your user name and lets you in. It cannot act on the hub for you.</p>
<form method="post" action="/hub/api/oauth2/authorize">
${hiddenXsrf(xsrf)}
<input type="hidden" name="client_id" value="${params.client_id}">
<input type="hidden" name="redirect_uri" value="${params.redirect_uri}">
<input type="hidden" name="response_type" value="${params.response_type}">
${params.state === undefined ? '' : html`<input type="hidden" name="state" value="${params.state}">`}
<div class="actions"><button type="submit">Open the server</button><a href="/hub/home">Cancel</a></div>
</form>
</div>`
  return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-store')
    .send(layout({ title: 'Open server', user: viewer, xsrf, body }).text)
}

/** An error page for the authorize endpoint (the redirect_uri cannot be trusted, so no redirect). */
export function sendAuthorizeError(reply: FastifyReply, status: number, message: string, advice: string, viewer?: Viewer, xsrf?: string): FastifyReply {
  const title = STATUS_CODES[status] ?? 'Error'
  const body = html`<div class="card">
<p class="status">${status}</p>
<h1>${title}</h1>
<p>${message}</p>
<p class="muted">${advice}</p>
<div class="actions"><a class="button" href="/hub/home">Go to the home page</a></div>
</div>`
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store')
    .send(layout({ title, user: viewer, xsrf, body }).text)
}
