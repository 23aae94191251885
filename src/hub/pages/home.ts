/**
 * /hub/home — your servers (the default one, and named ones when the hub
 * allows them — stopped named ones too, until removed) with Start / Stop / Open / Remove, the spawner's options form, and
 * your account; /hub/ and /hub lead here. Also registers the spawn pages.
 */
import type { FastifyInstance } from 'fastify'
import type { HubContext } from '../context.ts'
import type { ServerStatus } from '../../spawn/lifecycle.ts'
import { html, type Html } from '../views/html.ts'
import { hiddenXsrf, layout } from '../views/layout.ts'
import { requireUser, sessionXsrf } from './page-session.ts'
import { LocalAuthenticator } from '../../auth/authenticators/local.ts'
import { spawnPages } from './spawn.ts'
import { startRefusal } from '../../spawn/root-refusal.ts'
import { lastFailure, pendingUrl, SERVER_STYLE, serverUrl, spawnUrl, startForm, removeForm, stateBadge, stateOf, stopForm, type ServerAddress } from './spawn-views.ts'

function serverRow(hub: HubContext, a: ServerAddress, s: ServerStatus | undefined, xsrf: string): Html {
  const state = stateOf(s)
  const name = a.server === '' ? 'Default' : a.server
  let actions: Html
  if (state === 'running') {
    actions = html`<a class="button" href="${serverUrl(a)}">Open</a>${stopForm(a, xsrf)}`
  } else if (state === 'starting') {
    actions = html`<a class="button" href="${pendingUrl(a)}">Show progress</a>${stopForm(a, xsrf)}`
  } else if (state === 'stopping') {
    actions = html`<span class="muted">stopping…</span>`
  } else {
    const failed = lastFailure(hub, a) === undefined ? '' : html`<a href="${pendingUrl(a)}">why the last start failed</a>`
    // The hub's set-up refuses every start (root hub, explicit Jupyter): no button that cannot work.
    if (startRefusal(hub.servers.spawner) !== undefined) return html`<div class="server-row"><span class="name">${name}</span>${stateBadge(s)}<span class="grow"></span><a href="${spawnUrl(a)}">this hub cannot start servers — why</a></div>`
    const remove = a.server === '' ? '' : removeForm(a, xsrf)
    actions = html`${failed}<form method="post" action="${spawnUrl(a)}">${hiddenXsrf(xsrf)}<button type="submit">Start</button></form>${remove}`
  }
  const since = s?.started === undefined ? '' : html`<span class="muted">since ${new Date(s.started).toISOString().slice(0, 16).replace('T', ' ')} UTC</span>`
  return html`<div class="server-row"><span class="name">${name}</span>${stateBadge(s)}${since}<span class="grow"></span>${actions}</div>`
}

export async function homePages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts
  await app.register(spawnPages, { hub })

  app.get('/hub', async (_req, reply) => reply.redirect('/hub/home', 302))
  app.get('/hub/', async (_req, reply) => reply.redirect('/hub/home', 302))

  app.get('/hub/home', async (req, reply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const xsrf = sessionXsrf(hub, me)
    const { user } = me
    const local = hub.authenticator instanceof LocalAuthenticator
    const mine = hub.servers.list(user.name, { includeStopped: true })
    const byName = new Map(mine.map((s) => [s.name, s]))
    const home: ServerAddress = { user: user.name, server: '' }
    const defaultServer = byName.get('')
    const hasForm = (hub.servers.spawner.optionsForm?.().fields.length ?? 0) > 0
    const named = mine.filter((s) => s.name !== '').sort((a, b) => a.name.localeCompare(b.name))
    const groups = user.groups.length > 0 ? html`<p class="muted">Groups: ${user.groups.join(', ')}</p>` : ''

    // With an options form, a stopped default server shows the form itself (Start submits it).
    const defaultBlock = stateOf(defaultServer) === 'stopped' && hasForm
      ? html`<div class="server-row"><span class="name">Default</span>${stateBadge(undefined)}</div>${startForm(hub, home, xsrf, { label: 'Start my server', values: hub.servers.lastOptions(user.name) ?? {} })}`
      : serverRow(hub, home, defaultServer, xsrf)
    const namedBlock = hub.settings.allowNamedServers !== true ? '' : html`<h2 style="margin-top:1.5rem">Named servers</h2>
${named.length === 0 ? html`<p class="muted">None yet. A named server is another server of yours, at /user/${user.name}/&lt;name&gt;/.</p>` : named.map((s) => serverRow(hub, { user: user.name, server: s.name }, s, xsrf))}
<form class="inline-form" method="post" action="/hub/home/named">${hiddenXsrf(xsrf)}
<div style="flex:1"><label for="server-name">New named server</label><input id="server-name" name="server" type="text" pattern="[a-z0-9][a-z0-9._-]{0,62}" placeholder="e.g. project-x" required autocapitalize="none"></div>
<button type="submit">Start</button></form>`

    const body = html`${SERVER_STYLE}<div class="card">
<h1>Hello, ${user.name}${user.admin ? html`<span class="badge admin">admin</span>` : ''}</h1>
${groups}
<h2>Your server</h2>
${defaultBlock}
${namedBlock}
</div>
<div class="card">
<h2>Account</h2>
<div class="actions">
<a href="/hub/token">API tokens</a>
${user.admin ? html`<a href="/hub/admin">Manage users</a>` : ''}
${local ? html`<a href="/hub/change-password">Change password</a>` : ''}
<form method="post" action="/hub/logout"><input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="everywhere" value="1"><button class="link" type="submit">Log out everywhere</button></form>
</div>
<p class="muted">"Log out everywhere" ends your sessions in every browser.</p>
</div>`
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'Home', user, xsrf, body }).text)
  })

  // The "new named server" form: on to the spawn page of that name (which checks the name and the limit).
  app.post('/hub/home/named', async (req, reply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const form = req.body as Record<string, string> | undefined
    const server = (form?.server ?? '').trim().toLowerCase()
    return reply.redirect(`${spawnUrl({ user: me.user.name, server })}`, 303)
  })
}
