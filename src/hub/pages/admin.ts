/**
 * /hub/admin — what an administrator needs: activity statistics; the users
 * table (search, sort, paging; see admin-users-table.ts) with start / stop /
 * approve / delete per user; create one local user with a password; add many
 * users at once (one name per line). Every change is a CSRF-checked POST that
 * re-renders the page (same search and page) with what happened.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { HubContext } from '../context.ts'
import { LocalAuthenticator } from '../../auth/authenticators/local.ts'
import { newUserRecord, type UserRecord } from '../../auth/records.ts'
import { validateUserName } from '../../auth/user-name.ts'
import { SpawnLimitError } from '../../spawn/errors.ts'
import { html } from '../views/html.ts'
import { hiddenXsrf, layout, notice } from '../views/layout.ts'
import { checkSessionForm, formOf, requireAdmin, sessionXsrf, type Form, type PageUser } from './page-session.ts'
import { adminQueryOf, usersTable, type AdminQuery } from './admin-users-table.ts'
import { SERVER_STYLE } from './spawn-views.ts'

/** Most names one bulk add takes. */
const BULK_LIMIT = 1000

interface Messages {
  error?: string | undefined
  ok?: string | undefined
}

/** The table's search/sort/page to come back to after a POST (from the form's `back`). */
function backQuery(form: Form): AdminQuery {
  const back = form.back ?? ''
  if (!back.startsWith('/hub/admin')) return adminQueryOf({})
  return adminQueryOf(Object.fromEntries(new URL(back, 'http://x').searchParams))
}

function sendPage(hub: HubContext, reply: FastifyReply, me: PageUser, status: number, messages: Messages = {}, typed: { name?: string } = {}, query: AdminQuery = adminQueryOf({})): FastifyReply {
  const xsrf = sessionXsrf(hub, me)
  const local = hub.authenticator instanceof LocalAuthenticator
  const min = hub.settings.minPasswordLength
  const body = html`${SERVER_STYLE}<div class="card"><h1>Users</h1>${notice('error', messages.error)}${notice('ok', messages.ok)}
${usersTable(hub, query, xsrf, me.user.name)}</div>
<div class="card"><h2>Create a user</h2>
<form method="post" action="/hub/admin/users">${hiddenXsrf(xsrf)}
<label for="name">User name</label>
<input id="name" name="name" type="text" autocapitalize="none" required value="${typed.name ?? ''}">
${local ? html`<label for="password">Initial password</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="${min}" required>
<p class="muted">At least ${min} characters. Give it to the person; they can change it after logging in.</p>` : html`<p class="muted">The user logs in through ${hub.authenticator.label ?? hub.authenticator.name}; creating them here adds them to the hub.</p>`}
<label class="check"><input type="checkbox" name="admin" value="1"> Administrator</label>
<button type="submit">Create user</button>
</form></div>
<div class="card"><h2>Add users in bulk</h2>
<form method="post" action="/hub/admin/bulk">${hiddenXsrf(xsrf)}
<label for="names">User names, one per line</label>
<textarea id="names" name="names" rows="6" style="width:100%;font:inherit;padding:.5rem .7rem;border:1px solid var(--line);border-radius:6px" autocapitalize="none" spellcheck="false"></textarea>
<label class="check"><input type="checkbox" name="admin" value="1"> Administrators</label>
${local ? html`<p class="muted">Local accounts added here have no password yet: set one with <code>monohub user set-password NAME</code>, or create them one by one above.</p>` : ''}
<button type="submit">Add users</button>
</form></div>`
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Admin', user: me.user, xsrf, body, wide: true }).text)
}

export async function adminPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts
  const userOf = (name: string) => (Object.hasOwn(hub.store.state.users, name) ? hub.store.state.users[name] : undefined)

  /**
   * A form an admin posts about one existing user (approve, start, stop,
   * delete): admin and CSRF checked, the user looked up, then `act`.
   */
  function userAction(
    path: string,
    act: (ctx: { reply: FastifyReply; me: PageUser; name: string; user: UserRecord; query: AdminQuery }) => Promise<FastifyReply>,
  ): void {
    app.post(path, async (req, reply) => {
      const me = requireAdmin(hub, req, reply)
      if (me === null) return reply
      const form = formOf(req)
      checkSessionForm(hub, me, form)
      const name = form.name ?? ''
      const user = userOf(name)
      const query = backQuery(form)
      if (user === undefined) return sendPage(hub, reply, me, 404, { error: `There is no user '${name}'.` }, {}, query)
      return act({ reply, me, name, user, query })
    })
  }

  app.get('/hub/admin', async (req, reply) => {
    const me = requireAdmin(hub, req, reply)
    if (me === null) return reply
    return sendPage(hub, reply, me, 200, {}, {}, adminQueryOf(req.query))
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
        if (userOf(name) !== undefined) return sendPage(hub, reply, me, 409, { error: `User '${name}' already exists.` }, { name })
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

  app.post('/hub/admin/bulk', async (req, reply) => {
    const me = requireAdmin(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    const admin = form.admin === '1' || form.admin === 'on'
    const lines = (form.names ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
    if (lines.length === 0) return sendPage(hub, reply, me, 400, { error: 'Type at least one user name, one per line.' })
    if (lines.length > BULK_LIMIT) return sendPage(hub, reply, me, 400, { error: `At most ${BULK_LIMIT} names at once (got ${lines.length}).` })
    const bad: string[] = []
    const names = new Set<string>()
    for (const line of lines) {
      try {
        names.add(validateUserName(line))
      } catch (err) {
        bad.push(`${line}: ${(err as Error).message}`)
      }
    }
    if (bad.length > 0) return sendPage(hub, reply, me, 400, { error: `Nothing was added — fix these names first: ${bad.slice(0, 5).join('; ')}${bad.length > 5 ? ` (and ${bad.length - 5} more)` : ''}` })
    const fresh = [...names].filter((n) => userOf(n) === undefined)
    const now = hub.now()
    await Promise.all(fresh.map((name) => hub.store.commit({ op: 'user.put', user: newUserRecord(name, now, { admin }) })))
    hub.log.info({ by: me.user.name, users: fresh.length }, 'users added in bulk')
    const skipped = names.size - fresh.length
    return sendPage(hub, reply, me, fresh.length > 0 ? 201 : 200, { ok: `Added ${fresh.length} user${fresh.length === 1 ? '' : 's'}${skipped > 0 ? ` (${skipped} already existed)` : ''}.` })
  })

  userAction('/hub/admin/approve', async ({ reply, me, name, user, query }) => {
    if (!user.approved) await hub.store.commit({ op: 'user.put', user: { ...user, approved: true } })
    hub.log.info({ user: name, by: me.user.name }, `user approved: ${name} by ${me.user.name}`)
    return sendPage(hub, reply, me, 200, { ok: `User '${name}' is approved and can log in now.` }, {}, query)
  })

  userAction('/hub/admin/start', async ({ reply, me, name, query }) => {
    const starting = hub.servers.start(name, '')
    const early = await Promise.race([starting.then(() => undefined, (err: unknown) => err), new Promise<'started'>((resolve) => setImmediate(() => resolve('started')))])
    if (early instanceof SpawnLimitError) {
      void reply.header('retry-after', String(early.retryAfterSeconds))
      return sendPage(hub, reply, me, 429, { error: `Too many servers are starting right now — try again in about ${early.retryAfterSeconds} s.` }, {}, query)
    }
    if (early instanceof Error) return sendPage(hub, reply, me, (early as { status?: number }).status ?? 500, { error: early.message }, {}, query)
    hub.log.info({ user: name, by: me.user.name }, 'server start requested by an admin')
    return sendPage(hub, reply, me, 200, { ok: `${name}'s server is starting.` }, {}, query)
  })

  userAction('/hub/admin/stop', async ({ reply, me, name, query }) => {
    await Promise.all(hub.servers.list(name).map((s) => hub.servers.stop(s.user, s.name)))
    hub.log.info({ user: name, by: me.user.name }, 'servers stopped by an admin')
    return sendPage(hub, reply, me, 200, { ok: `${name}'s servers are stopped.` }, {}, query)
  })

  userAction('/hub/admin/delete', async ({ reply, me, name, query }) => {
    if (name === me.user.name) return sendPage(hub, reply, me, 400, { error: 'You cannot delete yourself — ask another admin, or use `monohub user remove`.' }, {}, query)
    await Promise.all(hub.servers.list(name).map((s) => hub.servers.stop(s.user, s.name)))
    await hub.store.commit({ op: 'user.delete', name })
    hub.log.info({ user: name, by: me.user.name }, `user deleted: ${name} by ${me.user.name}`)
    return sendPage(hub, reply, me, 200, { ok: `User '${name}' is deleted; their servers are stopped.` }, {}, query)
  })
}
