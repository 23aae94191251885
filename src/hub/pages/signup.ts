/**
 * /hub/signup — local accounts only, when `allowSignup` is on: the account is
 * created unapproved and waits for an administrator (as NativeAuthenticator
 * does); the page then says so.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import { LocalAuthenticator } from '../../auth/authenticators/local.ts'
import { html } from '../views/html.ts'
import { hiddenXsrf, layout, notice } from '../views/layout.ts'
import { PageError } from './page-error.ts'
import { checkPreLoginForm, formOf, preLoginXsrf } from './page-session.ts'

function signupAuthenticator(hub: HubContext): LocalAuthenticator {
  const auth = hub.authenticator
  if (!(auth instanceof LocalAuthenticator) || !auth.allowSignup) {
    throw new PageError(404, 'SIGNUP_DISABLED', 'Sign-up is not enabled on this hub.', 'Ask an administrator to create an account for you.')
  }
  return auth
}

function sendForm(hub: HubContext, req: FastifyRequest, reply: FastifyReply, status: number, error?: string, username?: string): FastifyReply {
  const xsrf = preLoginXsrf(hub, req, reply)
  const min = hub.settings.minPasswordLength
  const body = html`<div class="card"><h1>Sign up</h1>${notice('error', error)}
<form method="post" action="/hub/signup">${hiddenXsrf(xsrf)}
<label for="username">User name</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required value="${username ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="${min}" required>
<p class="muted">At least ${min} characters.</p>
<button class="full" type="submit">Create account</button>
</form>
<p class="alt">An administrator approves new accounts before they can log in. Already have one? <a href="/hub/login">Log in</a></p></div>`
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Sign up', body }).text)
}

export async function signupPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.get('/hub/signup', async (req, reply) => {
    signupAuthenticator(hub)
    return sendForm(hub, req, reply, 200)
  })

  app.post('/hub/signup', async (req, reply) => {
    const auth = signupAuthenticator(hub)
    const form = formOf(req)
    checkPreLoginForm(hub, req, form)
    let name: string
    try {
      const record = await auth.signup(form.username ?? '', form.password ?? '')
      name = record.name
    } catch (err) {
      const status = (err as { status?: unknown }).status
      if (typeof status === 'number' && status < 500) return sendForm(hub, req, reply, status === 409 ? 409 : 400, (err as Error).message, form.username)
      throw err
    }
    hub.log.info({ user: name }, `sign-up: ${name} waits for approval`)
    const body = html`<div class="card"><h1>Account created</h1>
${notice('info', html`Your account <strong>${name}</strong> is waiting for an administrator's approval.`)}
<p>You can log in once it is approved.</p>
<a class="button" href="/hub/login">Go to the login page</a></div>`
    return reply.code(201).type('text/html; charset=utf-8').send(layout({ title: 'Waiting for approval', body }).text)
  })
}
