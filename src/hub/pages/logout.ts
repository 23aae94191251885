/**
 * Logging out: POST /hub/logout with `_xsrf` ends this browser's session;
 * with `everywhere=1` it also bumps the user's session generation, which ends
 * every session of theirs (other browsers, other devices). GET shows a
 * confirmation form (a link must not log anyone out: it has no CSRF token).
 */
import type { FastifyInstance } from 'fastify'
import type { HubContext } from '../context.ts'
import { clearSessionCookieHeader } from '../../auth/sessions.ts'
import { html } from '../views/html.ts'
import { hiddenXsrf, layout } from '../views/layout.ts'
import { addCookie, checkSessionForm, formOf, pageUser, sessionXsrf } from './page-session.ts'

export async function logoutPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.get('/hub/logout', async (req, reply) => {
    const me = pageUser(hub, req, reply)
    if (me === null) return reply.redirect('/hub/login', 302)
    const xsrf = sessionXsrf(hub, me)
    const body = html`<div class="card"><h1>Log out</h1>
<p>You are logged in as <strong>${me.user.name}</strong>.</p>
<form method="post" action="/hub/logout">${hiddenXsrf(xsrf)}
<label class="check"><input type="checkbox" name="everywhere" value="1"> Also log out in every other browser</label>
<button class="full" type="submit">Log out</button></form></div>`
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Log out', user: me.user, xsrf, body }).text)
  })

  app.post('/hub/logout', async (req, reply) => {
    const me = pageUser(hub, req, reply)
    if (me === null) {
      addCookie(reply, clearSessionCookieHeader(hub.settings.secureCookies))
      return reply.redirect('/hub/login', 302)
    }
    const form = formOf(req)
    // Before anything changes: another site must not be able to log people out.
    checkSessionForm(hub, me, form)
    addCookie(reply, clearSessionCookieHeader(hub.settings.secureCookies))
    if (form.everywhere === '1' || form.everywhere === 'on') {
      await hub.store.commit({ op: 'user.bumpGeneration', name: me.user.name })
      hub.log.info({ user: me.user.name }, `logout everywhere: ${me.user.name}`)
    }
    const body = html`<div class="card"><h1>Logged out</h1>
<p>${form.everywhere === '1' || form.everywhere === 'on' ? 'You are logged out in every browser.' : 'You are logged out.'}</p>
<a class="button" href="/hub/login">Log in again</a></div>`
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Logged out', body }).text)
  })
}
