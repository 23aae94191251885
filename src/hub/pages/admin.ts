/**
 * /hub/admin — the basics an administrator needs now: see users (admin and
 * pending flags), create a local user with an initial password, approve a
 * pending sign-up. (The full admin page is a later piece of work.)
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { HubContext } from '../context.ts'
import { LocalAuthenticator } from '../../auth/authenticators/local.ts'
import { newUserRecord, type UserRecord } from '../../auth/records.ts'
import { validateUserName } from '../../auth/user-name.ts'
import { html, type Html } from '../views/html.ts'
import { hiddenXsrf, layout, notice } from '../views/layout.ts'
import { checkSessionForm, formOf, requireAdmin, sessionXsrf, type PageUser } from './page-session.ts'

function userRow(user: UserRecord, xsrf: string): Html {
  const approve = user.approved
    ? ''
    : html`<form method="post" action="/hub/admin/approve">${hiddenXsrf(xsrf)}<input type="hidden" name="name" value="${user.name}"><button class="small" type="submit">Approve</button></form>`
  return html`<tr><td>${user.name}${user.admin ? html`<span class="badge admin">admin</span>` : ''}${user.approved ? '' : html`<span class="badge pending">waiting for approval</span>`}</td>
<td>${new Date(user.created).toISOString().slice(0, 10)}</td><td>${approve}</td></tr>`
}

function sendPage(hub: HubContext, reply: FastifyReply, me: PageUser, status: number, messages: { error?: string; ok?: string } = {}, typed: { name?: string } = {}): FastifyReply {
  const xsrf = sessionXsrf(hub, me)
  const local = hub.authenticator instanceof LocalAuthenticator
  const users = Object.values(hub.store.state.users).sort((a, b) => Number(a.approved) - Number(b.approved) || a.name.localeCompare(b.name))
  const min = hub.settings.minPasswordLength
  const body = html`<div class="card"><h1>Users</h1>${notice('error', messages.error)}${notice('ok', messages.ok)}
<table><thead><tr><th>Name</th><th>Created</th><th></th></tr></thead><tbody>${users.map((u) => userRow(u, xsrf))}</tbody></table></div>
<div class="card"><h2>Create a user</h2>
<form method="post" action="/hub/admin/users">${hiddenXsrf(xsrf)}
<label for="name">User name</label>
<input id="name" name="name" type="text" autocapitalize="none" required value="${typed.name ?? ''}">
${local ? html`<label for="password">Initial password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="${min}" required>
<p class="muted">At least ${min} characters. Give it to the person; they can change it after logging in.</p>` : html`<p class="muted">The user logs in through ${hub.authenticator.label ?? hub.authenticator.name}; creating them here adds them to the hub.</p>`}
<label class="check"><input type="checkbox" name="admin" value="1"> Administrator</label>
<button type="submit">Create user</button>
</form></div>`
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Admin', user: me.user, xsrf, body, wide: true }).text)
}

export async function adminPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.get('/hub/admin', async (req, reply) => {
    const me = requireAdmin(hub, req, reply)
    if (me === null) return reply
    return sendPage(hub, reply, me, 200)
  })

  app.post('/hub/admin/users', async (req, reply) => {
    const me = requireAdmin(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    const admin = form.admin === '1' || form.admin === 'on'
    let name: string
    try {
      if (hub.authenticator instanceof LocalAuthenticator) {
        name = (await hub.authenticator.createUser(form.name ?? '', { password: form.password ?? '', admin })).name
      } else {
        name = validateUserName(form.name ?? '')
        if (Object.hasOwn(hub.store.state.users, name)) return sendPage(hub, reply, me, 409, { error: `User '${name}' already exists.` }, { name })
        await hub.store.commit({ op: 'user.put', user: newUserRecord(name, hub.now(), { admin }) })
      }
    } catch (err) {
      const status = (err as { status?: unknown }).status
      if (typeof status === 'number' && status < 500) return sendPage(hub, reply, me, status, { error: (err as Error).message }, { name: form.name ?? '' })
      throw err
    }
    hub.log.info({ user: name, by: me.user.name }, `user created: ${name} by ${me.user.name}`)
    return sendPage(hub, reply, me, 201, { ok: `User '${name}' is created${admin ? ' as an administrator' : ''}.` })
  })

  app.post('/hub/admin/approve', async (req, reply) => {
    const me = requireAdmin(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    const users = hub.store.state.users
    const name = form.name ?? ''
    const user = Object.hasOwn(users, name) ? users[name] : undefined
    if (user === undefined) return sendPage(hub, reply, me, 404, { error: `There is no user '${name}'.` })
    if (!user.approved) await hub.store.commit({ op: 'user.put', user: { ...user, approved: true } })
    hub.log.info({ user: name, by: me.user.name }, `user approved: ${name} by ${me.user.name}`)
    return sendPage(hub, reply, me, 200, { ok: `User '${name}' is approved and can log in now.` })
  })
}
