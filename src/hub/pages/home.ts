/** /hub/home — who you are and where to go; /hub/ and /hub lead here. */
import type { FastifyInstance } from 'fastify'
import type { HubContext } from '../context.ts'
import { html } from '../views/html.ts'
import { layout } from '../views/layout.ts'
import { requireUser, sessionXsrf } from './page-session.ts'
import { LocalAuthenticator } from '../../auth/authenticators/local.ts'

export async function homePages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.get('/hub', async (_req, reply) => reply.redirect('/hub/home', 302))
  app.get('/hub/', async (_req, reply) => reply.redirect('/hub/home', 302))

  app.get('/hub/home', async (req, reply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const xsrf = sessionXsrf(hub, me)
    const { user } = me
    const local = hub.authenticator instanceof LocalAuthenticator
    const groups = user.groups.length > 0 ? html`<p class="muted">Groups: ${user.groups.join(', ')}</p>` : ''
    const body = html`<div class="card">
<h1>Hello, ${user.name}${user.admin ? html`<span class="badge admin">admin</span>` : ''}</h1>
<p>You are logged in to this hub.</p>
${groups}
<div class="actions">
<a class="button" href="/hub/token">API tokens</a>
${user.admin ? html`<a class="button" href="/hub/admin">Manage users</a>` : ''}
</div>
</div>
<div class="card">
<h2>Account</h2>
<div class="actions">
${local ? html`<a href="/hub/change-password">Change password</a>` : ''}
<form method="post" action="/hub/logout"><input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="everywhere" value="1"><button class="link" type="submit">Log out everywhere</button></form>
</div>
<p class="muted">"Log out everywhere" ends your sessions in every browser.</p>
</div>`
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Home', user, xsrf, body }).text)
  })
}
