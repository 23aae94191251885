/**
 * /hub/login — JupyterHub's login URL and form fields (`username`,
 * `password`, `_xsrf`, posted to /hub/login?next=…). Form authenticators get
 * the form; redirect ones (OIDC, GitHub) a button that starts the flow at
 * /hub/oauth_login; the header authenticator logs in on GET from the
 * trusted front end's header. Failed logins are throttled per address and
 * per user name (429 with "try again in N s").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import { LoginRefusedError } from '../../auth/authenticator.ts'
import { normalizeUserName } from '../../auth/user-name.ts'
import { throttleMessage } from '../../auth/throttle.ts'
import { LocalAuthenticator } from '../../auth/authenticators/local.ts'
import { html, type Html } from '../views/html.ts'
import { hiddenXsrf, layout, notice } from '../views/layout.ts'
import { PageError } from './page-error.ts'
import { checkPreLoginForm, formOf, pageUser, preLoginXsrf } from './page-session.ts'
import { authRequest, completeLogin, nextOf, HOME_PATH } from './login-flow.ts'

interface LoginView {
  xsrf: string
  next: string
  error?: string | undefined
  info?: string | undefined
  username?: string | undefined
}

function nextQuery(next: string): string {
  return next === HOME_PATH ? '' : `?next=${encodeURIComponent(next)}`
}

function loginBody(hub: HubContext, view: LoginView): Html {
  const auth = hub.authenticator
  const messages = html`${notice('error', view.error)}${notice('info', view.info)}`
  if (auth.kind === 'redirect') {
    return html`<div class="card"><h1>Log in</h1>${messages}
<p class="muted">This hub uses an identity provider for logins.</p>
<a class="button full" href="/hub/oauth_login${nextQuery(view.next)}">${auth.label ?? 'Sign in'}</a></div>`
  }
  if (auth.kind === 'header') {
    return html`<div class="card"><h1>Log in</h1>${messages}
<p>This hub takes logins from a single sign-on front end (${auth.label ?? 'single sign-on'}), and this request did not come through it with a logged-in user.</p>
<p class="muted">Open the hub through its usual address, log in there, then come back.</p></div>`
  }
  const signup = auth instanceof LocalAuthenticator && auth.allowSignup
    ? html`<p class="alt">No account yet? <a href="/hub/signup">Sign up</a> — an administrator approves new accounts.</p>`
    : ''
  return html`<div class="card"><h1>Log in</h1>${messages}
<form method="post" action="/hub/login${nextQuery(view.next)}">
${hiddenXsrf(view.xsrf)}
<label for="username">User name</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" autocorrect="off" autofocus required value="${view.username ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button class="full" type="submit">Log in</button>
</form>${signup}</div>`
}

export function loginPage(hub: HubContext, view: LoginView): Html {
  return layout({ title: 'Log in', body: loginBody(hub, view) })
}

function sendLogin(hub: HubContext, req: FastifyRequest, reply: FastifyReply, status: number, view: Omit<LoginView, 'xsrf'>): FastifyReply {
  const xsrf = preLoginXsrf(hub, req, reply)
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(loginPage(hub, { ...view, xsrf }).text)
}

export async function loginPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.get('/hub/login', async (req, reply) => {
    const next = nextOf(req)
    if (pageUser(hub, req, reply) !== null) return reply.redirect(next, 302)
    if (hub.authenticator.kind === 'header') {
      const result = await hub.authenticator.authenticate(authRequest(hub, req))
      if (result !== null) {
        await completeLogin(hub, reply, result, next)
        return reply
      }
    }
    return sendLogin(hub, req, reply, 200, { next })
  })

  app.post('/hub/login', async (req, reply) => {
    const form = formOf(req)
    const next = nextOf(req, form)
    if (hub.authenticator.kind !== 'form') {
      throw new PageError(405, 'NO_LOGIN_FORM', 'This hub does not log in with a user name and password.', 'Use the login button on the login page.')
    }
    checkPreLoginForm(hub, req, form)
    const address = req.socket.remoteAddress ?? 'unknown'
    const username = normalizeUserName(typeof form.username === 'string' ? form.username : '')
    const now = hub.now()
    const before = hub.throttle.check(address, username, now)
    if (!before.allowed) {
      reply.header('retry-after', String(before.retryAfterSeconds))
      return sendLogin(hub, req, reply, 429, { next, username, error: throttleMessage(before.retryAfterSeconds) })
    }
    let result
    try {
      result = await hub.authenticator.authenticate(authRequest(hub, req, { form }))
    } catch (err) {
      if (err instanceof LoginRefusedError && err.code === 'PENDING_APPROVAL') {
        throw new PageError(403, 'PENDING_APPROVAL', err.message, 'An administrator has to approve your account first. Try again later, or contact an administrator.')
      }
      throw err
    }
    if (result === null) {
      const after = hub.throttle.fail(address, username, hub.now())
      hub.log.info({ user: username, address }, 'login failed: wrong user name or password')
      if (!after.allowed) {
        reply.header('retry-after', String(after.retryAfterSeconds))
        return sendLogin(hub, req, reply, 429, { next, username, error: throttleMessage(after.retryAfterSeconds) })
      }
      return sendLogin(hub, req, reply, 403, { next, username, error: 'Wrong user name or password.' })
    }
    hub.throttle.succeed(address, username)
    await completeLogin(hub, reply, result, next)
    return reply
  })
}
