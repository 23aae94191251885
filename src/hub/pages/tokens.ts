/**
 * /hub/token — the user's API tokens: create one (note, scopes, expiry) and
 * see it once; list (prefix, note, scopes, dates); revoke. Every form carries
 * the session's `_xsrf`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { HubContext } from '../context.ts'
import { createToken, tokensOf, type TokenRecord } from '../../auth/tokens.ts'
import { expandScopes, validateScopes } from '../../auth/scopes.ts'
import { scopesOfUser } from '../identity.ts'
import { html, type Html } from '../views/html.ts'
import { hiddenXsrf, layout, notice } from '../views/layout.ts'
import { PageError } from './page-error.ts'
import { checkSessionForm, formOf, requireUser, sessionXsrf, type PageUser } from './page-session.ts'

/** Expiry choices, seconds ('' = never). */
const EXPIRY_CHOICES: ReadonlyArray<[string, string]> = [
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '1 week'],
  ['2592000', '30 days'],
  ['', 'Never'],
]

const MAX_NOTE_LENGTH = 200

function when(ms: number | undefined): string {
  return ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC'
}

function tokenRow(token: TokenRecord, xsrf: string): Html {
  return html`<tr>
<td><code>${token.prefix}…</code></td><td>${token.note === '' ? html`<span class="muted">(no note)</span>` : token.note}</td>
<td>${token.scopes.join(' ')}</td><td>${when(token.created)}</td><td>${when(token.expiresAt)}</td><td>${when(token.lastUsed)}</td>
<td><form method="post" action="/hub/token/revoke">${hiddenXsrf(xsrf)}<input type="hidden" name="id" value="${token.id}"><button class="danger" type="submit">Revoke</button></form></td>
</tr>`
}

function sendPage(hub: HubContext, reply: FastifyReply, me: PageUser, status: number, extra: { created?: string; error?: string; ok?: string } = {}): FastifyReply {
  const xsrf = sessionXsrf(hub, me)
  const now = hub.now()
  const tokens = tokensOf(hub.store.state.tokens, me.user.name).filter((t) => t.kind === 'api' && (t.expiresAt === undefined || t.expiresAt > now))
  const created = extra.created === undefined ? '' : html`<div class="card"><h2>Your new token</h2>
${notice('ok', 'Copy it now — it is shown only once and cannot be retrieved later.')}
<p class="secret" id="new-token">${extra.created}</p>
<p class="muted">Use it as <code>Authorization: token &lt;token&gt;</code> (or <code>Bearer</code>).</p></div>`
  const list = tokens.length === 0
    ? html`<p class="muted">You have no API tokens.</p>`
    : html`<table><thead><tr><th>Token</th><th>Note</th><th>Scopes</th><th>Created</th><th>Expires</th><th>Last used</th><th></th></tr></thead>
<tbody>${tokens.map((t) => tokenRow(t, xsrf))}</tbody></table>`
  const body = html`${created}<div class="card"><h1>API tokens</h1>${notice('error', extra.error)}${notice('ok', extra.ok)}
<form method="post" action="/hub/token">${hiddenXsrf(xsrf)}
<label for="note">Note</label>
<input id="note" name="note" type="text" maxlength="${MAX_NOTE_LENGTH}" placeholder="What is this token for?">
<label for="scopes">Scopes</label>
<input id="scopes" name="scopes" type="text" placeholder="inherit">
<p class="muted">Space-separated JupyterHub scopes, e.g. <code>read:users!user=${me.user.name}</code>. Empty = everything you may do (<code>inherit</code>).</p>
<label for="expires_in">Expires</label>
<select id="expires_in" name="expires_in">${EXPIRY_CHOICES.map(([value, label]) => html`<option value="${value}"${value === '2592000' ? html` selected` : ''}>${label}</option>`)}</select>
<button type="submit">Create token</button>
</form></div>
<div class="card"><h2>Your tokens</h2>${list}</div>`
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(layout({ title: 'API tokens', user: me.user, xsrf, body, wide: true }).text)
}

export async function tokenPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts

  app.get('/hub/token', async (req, reply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    return sendPage(hub, reply, me, 200)
  })

  app.post('/hub/token', async (req, reply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    const note = (form.note ?? '').trim().slice(0, MAX_NOTE_LENGTH)
    const scopes = (form.scopes ?? '').split(/[\s,]+/).filter((s) => s !== '')
    try {
      validateScopes(scopes)
    } catch (err) {
      return sendPage(hub, reply, me, 400, { error: (err as Error).message })
    }
    // As the API does: a token never lists scopes its owner lacks (it could not use them anyway).
    const mine = scopesOfUser(hub, me.user)
    const missing = [...expandScopes(scopes, { name: me.user.name, scopes: mine })].filter((s) => !mine.has(s))
    if (missing.length > 0) {
      return sendPage(hub, reply, me, 403, { error: `You do not hold ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}, so a token of yours cannot have it. Leave Scopes empty for everything you may do.` })
    }
    const expiry = form.expires_in ?? ''
    if (expiry !== '' && !EXPIRY_CHOICES.some(([value]) => value === expiry)) {
      return sendPage(hub, reply, me, 400, { error: 'Choose an expiry from the list.' })
    }
    const { token, record } = createToken({
      owner: me.user.name,
      note,
      scopes: scopes.length === 0 ? ['inherit'] : scopes,
      now: hub.now(),
      ...(expiry === '' ? {} : { expiresIn: Number(expiry) }),
    })
    await hub.store.commit({ op: 'token.put', token: record })
    hub.log.info({ user: me.user.name, token: record.id }, `token created: ${record.id} for ${me.user.name}`)
    return sendPage(hub, reply, me, 201, { created: token })
  })

  app.post('/hub/token/revoke', async (req, reply) => {
    const me = requireUser(hub, req, reply)
    if (me === null) return reply
    const form = formOf(req)
    checkSessionForm(hub, me, form)
    const tokens = hub.store.state.tokens
    const id = form.id ?? ''
    const record = Object.hasOwn(tokens, id) ? tokens[id] : undefined
    if (record === undefined || record.owner !== me.user.name) {
      throw new PageError(404, 'NO_SUCH_TOKEN', 'That token does not exist (it may already be revoked).', 'Go back to the token page to see your tokens.')
    }
    await hub.store.commit({ op: 'token.delete', id })
    hub.log.info({ user: me.user.name, token: id }, `token revoked: ${id}`)
    return sendPage(hub, reply, me, 200, { ok: `Token ${record.prefix}… is revoked.` })
  })
}
