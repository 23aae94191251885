/**
 * The demo server's one HTML page: who you are, the files in your folder, a
 * WebSocket echo — and a plain note that this is monohub's demo server and
 * how to get Jupyter instead (on a root hub: why it is the demo, and how to
 * get Jupyter per user).
 */
import { ROOT_JUPYTER_ADVICE } from '../../root-default.ts'

export const DEMO_NOTICE =
  'This is monohub\'s built-in DEMO server, not Jupyter. To give users Jupyter, install JupyterHub\'s ' +
  'single-user server on this machine (e.g. `pip install jupyterhub jupyterlab` or `apt-get install jupyterhub`) ' +
  'and restart monohub with --cmd auto (the default) or --cmd jupyterhub-singleuser.'

/** Why a root hub runs the demo even where Jupyter is installed (MONOHUB_DEMO_REASON=root-hub). */
export const ROOT_DEMO_NOTICE =
  'This hub runs as root, so monohub runs its built-in demo server for you instead of Jupyter: Jupyter started by a root hub ' +
  `would run as root and give every user a root shell. Ask the hub's administrator — ${ROOT_JUPYTER_ADVICE}.`

/** Why the demo runs: 'root-hub' when the hub chose it because it runs as root; otherwise nothing was configured. */
export type DemoReason = 'root-hub' | undefined

/** The notice for `reason`. */
export function demoNotice(reason: DemoReason): string {
  return reason === 'root-hub' ? ROOT_DEMO_NOTICE : DEMO_NOTICE
}

export interface PageFile {
  name: string
  dir: boolean
  size: number
}

export interface PageModel {
  user: string
  serverName: string
  baseUrl: string
  workDir: string
  files: PageFile[]
  /** More entries than shown. */
  truncated: boolean
  reason?: DemoReason
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

function fileRows(files: PageFile[]): string {
  if (files.length === 0) return '<li><em>(empty)</em></li>'
  return files.map((f) => `<li>${escapeHtml(f.name)}${f.dir ? '/' : ` <small>${f.size} bytes</small>`}</li>`).join('\n')
}

export function renderPage(model: PageModel): string {
  const title = model.serverName === '' ? model.user : `${model.user} / ${model.serverName}`
  // The base URL goes into a script as JSON; '<' is escaped so it cannot close the tag.
  const base = JSON.stringify(model.baseUrl).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} — monohub demo server</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
.notice{background:#fff6d5;border:1px solid #e0c060;padding:.75rem 1rem;border-radius:6px}
code{background:#f2f2f2;padding:0 .25rem}#log{white-space:pre-wrap;background:#f7f7f7;padding:.5rem;min-height:3rem}</style>
</head><body>
<h1>Hello, ${escapeHtml(model.user)}</h1>
<p class="notice" id="notice"><strong>monohub demo server.</strong> ${escapeHtml(demoNotice(model.reason))}</p>
<h2>Your files</h2>
<p>In <code>${escapeHtml(model.workDir)}</code>:</p>
<ul id="files">
${fileRows(model.files)}
</ul>
${model.truncated ? '<p><em>…and more, not shown.</em></p>' : ''}
<h2>WebSocket echo</h2>
<form id="echo"><input id="text" value="hello" aria-label="message"> <button>Send</button></form>
<div id="log"></div>
<p><a href="api">Status (JSON)</a></p>
<script>
const base = ${base};
const log = document.getElementById('log');
const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + base + 'ws');
ws.onopen = () => { log.textContent += 'connected\\n' };
ws.onmessage = (e) => { log.textContent += 'echo: ' + e.data + '\\n' };
ws.onclose = () => { log.textContent += 'closed\\n' };
document.getElementById('echo').onsubmit = (e) => { e.preventDefault(); ws.send(document.getElementById('text').value) };
</script>
</body></html>
`
}
