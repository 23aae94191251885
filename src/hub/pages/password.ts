/**
 * /hub/change-password — local accounts: the current password and a new one
 * (CSRF-protected). Changing it ends the user's other sessions; this browser
 * gets a fresh cookie so it stays logged in.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { HubContext } from '../context.ts'
import { LocalAuthenticator } from '../../auth/authenticators/local.ts'
import { html } from '../views/html.ts'
import { hiddenXsrf, layout, notice } from '../views/layout.ts'
import { PageError } from './page-error.ts'
import { checkSessionForm, formOf, requireUser, sessionXsrf, startSession, type PageUser } from './page-session.ts'
import type { UserRecord } from '../../auth/records.ts'

function localAuthenticator(hub: HubContext): LocalAuthenticator {
  if (!(hub.authenticator instanceof LocalAuthenticator)) {
    throw new PageError(404, 'NO_LOCAL_PASSWORDS', 'This hub does not keep passwords: your identity provider does.', 'Change your password with your identity provider.')
  }
  return hub.authenticator
}

function sendForm(hub: HubContext, reply: FastifyReply, me: PageUser, status: number, messages: { error?: string; ok?: string } = {}): FastifyReply {
  const xsrf = sessionXsrf(hub, me)
  const min = hub.settings.minPasswordLength
  const body = html`<div class="card"><h1>Change password</h1>${notice('error', messages.error)}${notice('ok', messages.ok)}
<form method="post" action="/hub/change-password">${hiddenXsrf(xsrf)}
<label for="old_password">Current password</label>
<input id="old_password" name="old_password" type="password" autocomplete="current-password" required>
<label for="new_password">New password</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="${min}" required>
<p class="muted">At least ${min} characters. Your other sessions end when you change it.</p>
<button class="full" type="submit">Change password</button>
</form></div>`
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Change password', user: me.user, xsrf, body }).text)
}

export async function passwordPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.get('/hub/change-password', async (req, reply) => {
    localAuthenticator(hub)
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    return sendForm(hub, reply, me, 200)
  })

  app.post('/hub/change-password', async (req, reply) => {
    const auth = localAuthenticator(hub)
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    try {
      await auth.changePassword(me.user.name, form.old_password ?? '', form.new_password ?? '')
    } catch (err) {
      const status = (err as { status?: unknown }).status
      if (typeof status === 'number' && status < 500) return sendForm(hub, reply, me, status, { error: (err as Error).message })
      throw err
    }
    const updated = hub.store.state.users[me.user.name] as UserRecord
    // The old session ended with the generation bump; this browser gets a new one.
    const issued: PageUser = { user: updated, session: startSession(hub, reply, updated) }
    hub.log.info({ user: me.user.name }, `password changed: ${me.user.name}`)
    return sendForm(hub, reply, issued, 200, { ok: 'Your password is changed. Your other sessions have ended.' })
  })
}
