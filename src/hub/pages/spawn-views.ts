/**
 * The pieces of the server pages (home, spawn, admin): a server's state in
 * words, the spawner's options form, the progress bar with its small event
 * stream script, and the failure box with the server's last log lines.
 */
import type { HubContext } from '../context.ts'
import type { OptionsFormSpec } from '../../spawn/spawner.ts'
import type { ServerStatus } from '../../spawn/lifecycle.ts'
import { ProgressFeed, type ProgressEvent } from '../../spawn/progress-feed.ts'
import { html, trustedHtml, type Html } from '../views/html.ts'
import { hiddenXsrf } from '../views/layout.ts'

export interface ServerAddress {
  user: string
  /** '' = the default server. */
  server: string
}

function suffix(server: string): string {
  return server === '' ? '' : `/${encodeURIComponent(server)}`
}

export const spawnUrl = (a: ServerAddress): string => `/hub/spawn/${encodeURIComponent(a.user)}${suffix(a.server)}`
export const pendingUrl = (a: ServerAddress): string => `/hub/spawn-pending/${encodeURIComponent(a.user)}${suffix(a.server)}`
export const stopUrl = (a: ServerAddress): string => `/hub/stop/${encodeURIComponent(a.user)}${suffix(a.server)}`
/** Forgets a stopped named server (POST, CSRF). */
export const removeUrl = (a: ServerAddress): string => `/hub/remove/${encodeURIComponent(a.user)}${suffix(a.server)}`
export const progressApiUrl = (a: ServerAddress): string =>
  a.server === '' ? `/hub/api/users/${encodeURIComponent(a.user)}/server/progress` : `/hub/api/users/${encodeURIComponent(a.user)}/servers/${encodeURIComponent(a.server)}/progress`
/** Where the server answers: '/user/alice/' or '/user/alice/lab/'. */
export const serverUrl = (a: ServerAddress): string => `/user/${encodeURIComponent(a.user)}/${a.server === '' ? '' : `${encodeURIComponent(a.server)}/`}`

export function serverLabel(a: ServerAddress): string {
  return a.server === '' ? `${a.user}'s server` : `${a.user}'s server '${a.server}'`
}

/** 'running', 'starting', 'stopping' or 'stopped'. */
export function stateOf(s: ServerStatus | undefined): 'running' | 'starting' | 'stopping' | 'stopped' {
  if (s === undefined || s.stopped === true) return 'stopped'
  if (s.pending === 'spawn') return 'starting'
  if (s.pending === 'stop') return 'stopping'
  return s.ready ? 'running' : 'starting'
}

export function stateBadge(s: ServerStatus | undefined): Html {
  const state = stateOf(s)
  return html`<span class="badge state-${state}">${state}</span>`
}

/** The events of the current or last start so far (read synchronously). */
export function progressEvents(hub: HubContext, a: ServerAddress): readonly ProgressEvent[] {
  const feed = hub.servers.progress(a.user, a.server)
  return feed instanceof ProgressFeed ? feed.events : []
}

/** The last start's failure, when the last start failed (and nothing runs now). */
export function lastFailure(hub: HubContext, a: ServerAddress): ProgressEvent | undefined {
  if (stateOf(hub.servers.status(a.user, a.server)) !== 'stopped') return undefined
  const last = progressEvents(hub, a).at(-1)
  // Real failures carry the log tail (possibly empty); "nothing is starting" does not.
  return last?.failed === true && last.logTail !== undefined ? last : undefined
}

/** The inputs of a spawner's options form (none when it has no form). */
export function optionsFields(spec: OptionsFormSpec | undefined, values: Readonly<Record<string, unknown>> = {}): Html {
  if (spec === undefined || spec.fields.length === 0) return html``
  return html`${spec.fields.map((field) => {
    const id = `opt-${field.name}`
    const given = values[field.name]
    const help = field.help === undefined ? '' : html`<p class="muted">${field.help}</p>`
    if (field.type === 'number') {
      const value = typeof given === 'number' || typeof given === 'string' ? given : field.default
      return html`<label for="${id}">${field.label}${field.unit === undefined ? '' : html` <span class="muted">(${field.unit})</span>`}</label>
<input id="${id}" name="${field.name}" type="number" min="${field.min}" max="${field.max}" step="${field.step ?? 'any'}" value="${value}">${help}`
    }
    const selected = typeof given === 'string' ? given : field.default
    return html`<label for="${id}">${field.label}</label>
<select id="${id}" name="${field.name}">${field.choices.map((c) => html`<option value="${c.value}"${c.value === selected ? trustedHtml(' selected') : ''}>${c.label}</option>`)}</select>${help}`
  })}`
}

/** A form that starts `a` (POST to the spawn page), with the options form when the spawner has one. */
export function startForm(hub: HubContext, a: ServerAddress, xsrf: string, options: { next?: string; label?: string; id?: string; values?: Record<string, unknown> } = {}): Html {
  return html`<form method="post" action="${spawnUrl(a)}"${options.id === undefined ? '' : html` id="${options.id}"`}>${hiddenXsrf(xsrf)}
${options.next === undefined ? '' : html`<input type="hidden" name="next" value="${options.next}">`}
${optionsFields(hub.servers.spawner.optionsForm?.(), options.values)}
<button type="submit">${options.label ?? 'Start'}</button>
</form>`
}

export function stopForm(a: ServerAddress, xsrf: string, next?: string): Html {
  return html`<form method="post" action="${stopUrl(a)}">${hiddenXsrf(xsrf)}${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}<button class="danger" type="submit">Stop</button></form>`
}

/** Remove: forgets a stopped named server (it leaves the list; its files stay). */
export function removeForm(a: ServerAddress, xsrf: string): Html {
  return html`<form method="post" action="${removeUrl(a)}">${hiddenXsrf(xsrf)}<button class="danger" type="submit">Remove</button></form>`
}

/** The failure box: what went wrong and the server's last log lines. */
export function failureBox(event: ProgressEvent): Html {
  const tail = event.logTail ?? []
  const [headline] = event.message.split(' — last lines of its log:', 1)
  return html`<div class="notice error" role="alert"><strong>The server could not be started.</strong><br>${headline}</div>
${tail.length === 0 ? html`<p class="muted">The server wrote nothing to its log.</p>` : html`<p class="muted">Last lines of its log:</p><pre class="log">${tail.join('\n')}</pre>`}`
}

// Reads its settings from data- attributes (escaped by the template), so no value is ever spliced into code.
const PROGRESS_SCRIPT = trustedHtml(`<script>
(function () {
  var box = document.getElementById('spawn-progress');
  if (!box || !window.EventSource) return;
  var bar = box.querySelector('progress'), msg = box.querySelector('.message'), pct = box.querySelector('.pct');
  var es = new EventSource(box.dataset.progressUrl);
  es.onmessage = function (m) {
    var e = JSON.parse(m.data);
    bar.value = e.progress; pct.textContent = Math.round(e.progress) + '%'; msg.textContent = e.message;
    if (e.ready) { es.close(); msg.textContent = 'Server ready — opening it…'; window.location.replace(box.dataset.next); }
    else if (e.failed) { es.close(); window.location.reload(); }
  };
  es.onerror = function () { es.close(); setTimeout(function () { window.location.reload(); }, 2000); };
})();
</script>`)

/** The live progress bar: filled from the event stream by a tiny script; without JS the page refreshes itself. */
export function progressBox(hub: HubContext, a: ServerAddress, next: string): Html {
  const last = progressEvents(hub, a).at(-1)
  const progress = last?.progress ?? 0
  return html`<div id="spawn-progress" data-progress-url="${progressApiUrl(a)}" data-next="${next}">
<progress max="100" value="${progress}">${progress}%</progress>
<p><span class="pct">${Math.round(progress)}%</span> · <span class="message">${last?.message ?? 'Server requested'}</span></p>
<noscript><meta http-equiv="refresh" content="2"><p class="muted">This page reloads every 2 seconds until the server is ready.</p></noscript>
</div>
${PROGRESS_SCRIPT}`
}

/** Extra styles for the server pages (appended inside the page body). */
export const SERVER_STYLE = trustedHtml(`<style>
progress{width:100%;height:1.1rem;accent-color:var(--accent)}
pre.log{background:#1f2328;color:#e6edf3;padding:.75rem 1rem;border-radius:6px;overflow:auto;max-height:22rem;font-size:.85rem;line-height:1.45;white-space:pre-wrap;word-break:break-word}
.badge.state-running{color:var(--ok);border-color:#b7e1c5;background:#e9f7ef}
.badge.state-starting,.badge.state-stopping{color:#8a5a00;border-color:#f0d9a8;background:#fff7e6}
.server-row{display:flex;align-items:center;gap:.75rem;flex-wrap:wrap;padding:.6rem 0;border-bottom:1px solid var(--line)}
.server-row:last-child{border-bottom:0}
.server-row .name{font-weight:600;min-width:7rem}
.server-row form{margin:0}
.server-row button,.server-row .button{margin-top:0}
.server-row .grow{flex:1}
.inline-form{display:flex;gap:.5rem;align-items:flex-end;flex-wrap:wrap}
.inline-form input{width:auto;flex:1}
.inline-form button{margin-top:0}
.stats{display:flex;gap:1rem;flex-wrap:wrap}
.stat{flex:1;min-width:8rem;background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem}
.stat b{display:block;font-size:1.5rem}
.pager{display:flex;gap:1rem;align-items:center;justify-content:space-between;margin-top:1rem}
td.row-actions{text-align:right;white-space:nowrap}
td.row-actions form{display:inline-block;margin:0 0 0 .4rem}
td.row-actions a{margin-left:.4rem}
.stat span{color:var(--muted);font-size:.9rem}
</style>`)
