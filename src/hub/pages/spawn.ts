/**
 * Starting and stopping a server from the browser, without JavaScript if need be:
 *
 *   GET  /hub/spawn/<user>[/<server>]          running → into it; starting → progress; else a Start form
 *   POST /hub/spawn/<user>[/<server>]          (CSRF) starts it → the progress page
 *   GET  /hub/spawn-pending/<user>[/<server>]  progress bar (event stream), then into the server;
 *                                              on failure the reason, the server's log tail, Retry
 *   POST /hub/stop/<user>[/<server>]           (CSRF) stops it → home (or `next`)
 *   POST /hub/remove/<user>/<server>           (CSRF) forgets a named server (stops it first) → home
 *
 * When the hub's set-up refuses every start (a root hub with the process
 * spawner and Jupyter or a custom command), GET and POST show that plainly
 * instead — with the error's status (500), the fix, and no Retry.
 *
 * The owner or an admin may do each; `next` (a local path, checked) is where
 * the browser lands once the server is ready — the proxy sends people here
 * with the path they asked for when their server is not running.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import { SpawnError, SpawnLimitError, type SpawnerConfigError } from '../../spawn/errors.ts'
import { startRefusal } from '../../spawn/root-refusal.ts'
import { safeNextUrl } from '../../auth/next-url.ts'
import { html } from '../views/html.ts'
import { layout, notice } from '../views/layout.ts'
import { PageError } from './page-error.ts'
import { checkSessionForm, formOf, requireUser, sessionXsrf, type PageUser } from './page-session.ts'
import {
  failureBox, lastFailure, pendingUrl, progressBox, SERVER_STYLE, serverLabel, serverUrl, spawnUrl, startForm, stateOf, type ServerAddress,
} from './spawn-views.ts'

/** How long a stop from a page waits before going back anyway (the home page then shows "stopping"). */
const PAGE_STOP_WAIT_MS = 10_000

type Params = { name: string; server?: string }

/** The server the URL names, if `me` may manage it (owner or admin); PageError 404/403 otherwise. */
function addressOf(hub: HubContext, me: PageUser, params: Params): ServerAddress {
  const users = hub.store.state.users
  const user = params.name
  if (!Object.hasOwn(users, user)) throw new PageError(404, 'NO_SUCH_USER', `There is no user '${user}'.`, 'Check the address, or go back to your home page.')
  if (me.user.name !== user && !me.user.admin) {
    throw new PageError(403, 'NOT_YOUR_SERVER', `This server belongs to '${user}'.`, `You are logged in as '${me.user.name}'. You can start and stop only your own servers.`)
  }
  return { user, server: params.server ?? '' }
}

function nextFor(req: FastifyRequest, a: ServerAddress, form?: Record<string, string>): string {
  const query = req.query as Record<string, unknown> | undefined
  return safeNextUrl(form?.next ?? query?.next, serverUrl(a))
}

function withNext(url: string, next: string, a: ServerAddress): string {
  return next === serverUrl(a) ? url : `${url}?next=${encodeURIComponent(next)}`
}

function sendPage(hub: HubContext, reply: FastifyReply, me: PageUser, status: number, title: string, body: ReturnType<typeof html>): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store')
    .send(layout({ title, user: me.user, xsrf: sessionXsrf(hub, me), body: html`${SERVER_STYLE}${body}` }).text)
}

/** Every start is refused by the hub's configuration: say so, and who can fix it. */
function configProblemPage(hub: HubContext, reply: FastifyReply, me: PageUser, refusal: SpawnerConfigError): FastifyReply {
  const body = html`<div class="card">
<h1>This hub cannot start servers as it is set up</h1>
<div class="notice error" role="alert"><strong>The hub's administrator has to change its settings.</strong><br>The hub says: ${refusal.message}.</div>
<p class="muted">Nothing is wrong with your account or your files. ${me.user.admin ? 'The hub\'s start-up log says the same; change the setting and restart the hub.' : 'Please tell the hub\'s administrator.'}</p>
<div class="actions"><a class="button" href="/hub/home">Home</a></div>
</div>`
  return sendPage(hub, reply, me, refusal.status, 'Cannot start servers', body)
}

/** The Start page; `problem` shows why the last try did not start. */
function startPage(hub: HubContext, reply: FastifyReply, me: PageUser, a: ServerAddress, next: string, status = 200, problem?: string, values?: Record<string, unknown>): FastifyReply {
  const xsrf = sessionXsrf(hub, me)
  // The form shows what was typed (after a refusal), else the options of the last start.
  values ??= hub.servers.lastOptions(a.user, a.server)
  const form = hub.servers.spawner.optionsForm?.()
  const hasForm = form !== undefined && form.fields.length > 0
  const failure = problem === undefined ? lastFailure(hub, a) : undefined
  // Coming back to a stopped server (from its URL) with nothing to choose: start it at once.
  const autoStart = !hasForm && problem === undefined && failure === undefined && next !== serverUrl(a)
  const mine = me.user.name === a.user
  const body = html`<div class="card">
<h1>${mine && a.server === '' ? 'Your server is not running' : `${serverLabel(a)} is not running`}</h1>
${notice('error', problem)}
${failure === undefined ? '' : failureBox(failure)}
<p>${hasForm ? 'Choose the options for the server, then start it.' : autoStart ? 'Starting it now…' : 'Start it to open it in this browser.'}</p>
${startForm(hub, a, xsrf, { next, id: 'start-form', label: failure === undefined ? 'Start' : 'Retry', ...(values === undefined ? {} : { values }) })}
${autoStart ? html`<script>document.getElementById('start-form').submit()</script>` : ''}
</div>`
  return sendPage(hub, reply, me, status, 'Start server', body)
}

export async function spawnPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  const showSpawn = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const a = addressOf(hub, me, req.params)
    const next = nextFor(req, a)
    const state = stateOf(hub.servers.status(a.user, a.server))
    if (state === 'running') return reply.redirect(next, 302)
    if (state === 'starting') return reply.redirect(withNext(pendingUrl(a), next, a), 302)
    const refusal = startRefusal(hub.servers.spawner)
    if (refusal !== undefined) return configProblemPage(hub, reply, me, refusal)
    return startPage(hub, reply, me, a, next)
  }

  const start = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    const a = addressOf(hub, me, req.params)
    const next = nextFor(req, a, form)
    const refusal = startRefusal(hub.servers.spawner)
    if (refusal !== undefined) return configProblemPage(hub, reply, me, refusal)
    const options: Record<string, string> = {}
    for (const [key, value] of Object.entries(form)) if (key !== '_xsrf' && key !== 'next') options[key] = value
    // A Start button without the options form (home page, auto-start on a visit) reuses the last start's options.
    const starting = hub.servers.start(a.user, a.server, Object.keys(options).length === 0 ? undefined : options)
    // A refusal (limit, bad options, named servers off) comes at once; a start under way goes on.
    const early = await Promise.race([
      starting.then(() => undefined, (err: unknown) => err),
      new Promise<'started'>((resolve) => setImmediate(() => resolve('started'))),
    ])
    if (early instanceof SpawnLimitError) {
      void reply.header('retry-after', String(early.retryAfterSeconds))
      return startPage(hub, reply, me, a, next, 429, `Too many servers are starting right now. Wait about ${early.retryAfterSeconds} seconds and press Start again.`, options)
    }
    if (early instanceof SpawnError && early.status < 500) return startPage(hub, reply, me, a, next, early.status, early.message, options)
    hub.log.info({ by: me.user.name, user: a.user, server: a.server }, 'server start requested from the page')
    return reply.redirect(withNext(pendingUrl(a), next, a), 303)
  }

  const pending = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const a = addressOf(hub, me, req.params)
    const next = nextFor(req, a)
    const state = stateOf(hub.servers.status(a.user, a.server))
    if (state === 'running') return reply.redirect(next, 302)
    const failure = lastFailure(hub, a)
    if (state === 'stopped' && failure === undefined) return reply.redirect(withNext(spawnUrl(a), next, a), 302)
    if (failure !== undefined) {
      const body = html`<div class="card"><h1>${serverLabel(a)} did not start</h1>
${failureBox(failure)}
<div class="actions">${startForm(hub, a, sessionXsrf(hub, me), { next, label: 'Retry', values: hub.servers.lastOptions(a.user, a.server) ?? {} })}<a class="button" href="/hub/home" style="background:#fff;color:var(--accent);border:1px solid var(--line)">Home</a></div>
</div>`
      return sendPage(hub, reply, me, 200, 'Server failed', body)
    }
    const body = html`<div class="card"><h1>Starting ${me.user.name === a.user && a.server === '' ? 'your server' : serverLabel(a)}</h1>
<p class="muted">This usually takes a few seconds. You will be taken to the server when it is ready.</p>
${progressBox(hub, a, next)}
</div>`
    return sendPage(hub, reply, me, 200, 'Starting server', body)
  }

  const stop = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    const a = addressOf(hub, me, req.params)
    await waitAWhile(hub.servers.stop(a.user, a.server).catch((err: unknown) => hub.log.warn({ err, user: a.user, server: a.server }, 'stop from the page failed')))
    hub.log.info({ by: me.user.name, user: a.user, server: a.server }, 'server stopped from the page')
    return reply.redirect(safeNextUrl(form.next, '/hub/home'), 303)
  }

  // Only named servers can be removed (the default one is always there).
  app.post('/hub/remove/:name/:server', async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    checkSessionForm(hub, me, formOf(req))
    const a = addressOf(hub, me, req.params)
    await waitAWhile(hub.servers.remove(a.user, a.server).catch((err: unknown) => hub.log.warn({ err, user: a.user, server: a.server }, 'remove from the page failed')))
    hub.log.info({ by: me.user.name, user: a.user, server: a.server }, 'named server removed from the page')
    return reply.redirect('/hub/home', 303)
  })

  for (const suffix of ['', '/:server']) {
    app.get(`/hub/spawn/:name${suffix}`, showSpawn)
    app.post(`/hub/spawn/:name${suffix}`, start)
    app.get(`/hub/spawn-pending/:name${suffix}`, pending)
    app.post(`/hub/stop/:name${suffix}`, stop)
  }
}

/** Waits for `work`, but at most PAGE_STOP_WAIT_MS: a slow stop goes on while the page answers. */
async function waitAWhile(work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([work, new Promise((resolve) => { timer = setTimeout(resolve, PAGE_STOP_WAIT_MS) })])
  clearTimeout(timer)
}
