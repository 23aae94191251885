/**
 * The page frame every hub page shares: head, a top bar with who is logged
 * in, a main column, and a small inline style sheet. No client JavaScript.
 */
import { html, trustedHtml, type Html } from './html.ts'

export interface PageFrame {
  title: string
  /** Logged-in user's name, shown in the top bar with links. */
  user?: { name: string; admin: boolean } | undefined
  /** A CSRF token for the top bar's logout form (logged-in pages). */
  xsrf?: string | undefined
  body: Html
  /** Wider main column (lists, admin). */
  wide?: boolean
}

const STYLE = trustedHtml(`
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--accent:#0b6bcb;--accent-dark:#0a58a8;--danger:#c62828;--ok:#1a7f37}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#fff;border-bottom:1px solid var(--line)}
header .bar{max-width:64rem;margin:0 auto;padding:.6rem 1.25rem;display:flex;align-items:center;gap:1rem}
header .brand{font-weight:700;font-size:1.1rem;color:var(--fg);text-decoration:none;letter-spacing:.01em}
header .brand span{color:var(--accent)}
header nav{margin-left:auto;display:flex;align-items:center;gap:.9rem;font-size:.95rem}
header nav a{color:var(--muted);text-decoration:none}
header nav a:hover{color:var(--accent)}
header nav form{margin:0}
main{max-width:30rem;margin:2.5rem auto;padding:0 1.25rem}
main.wide{max-width:64rem}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1.5rem 1.75rem;margin-bottom:1.5rem;box-shadow:0 1px 2px rgba(31,35,40,.04)}
h1{font-size:1.5rem;margin:0 0 1rem}
h2{font-size:1.15rem;margin:0 0 .75rem}
p{margin:.5rem 0 1rem}
.muted{color:var(--muted);font-size:.92rem}
label{display:block;font-weight:600;font-size:.92rem;margin:.9rem 0 .3rem}
input[type=text],input[type=password],input[type=number],select{width:100%;padding:.55rem .7rem;border:1px solid var(--line);border-radius:6px;font:inherit;background:#fff}
input:focus,select:focus{outline:2px solid rgba(11,107,203,.35);border-color:var(--accent)}
.check{display:flex;align-items:center;gap:.5rem;font-weight:400;margin:.9rem 0}
button,.button{display:inline-block;margin-top:1.2rem;padding:.6rem 1.1rem;border:0;border-radius:6px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer;text-decoration:none;text-align:center}
button:hover,.button:hover{background:var(--accent-dark)}
button.full,.button.full{width:100%}
button.link{background:none;color:var(--muted);padding:0;margin:0;font-weight:400}
button.link:hover{color:var(--accent);background:none}
.card button.link{color:var(--accent);text-decoration:underline}
button.danger{background:#fff;color:var(--danger);border:1px solid var(--danger);padding:.3rem .7rem;margin:0;font-weight:500;font-size:.9rem}
button.danger:hover{background:#fdecea}
button.small{padding:.3rem .7rem;margin:0;font-size:.9rem}
.notice{padding:.75rem 1rem;border-radius:6px;margin:0 0 1rem;border:1px solid}
.notice.error{background:#fdecea;border-color:#f5c2c0;color:#8a1c1c}
.notice.ok{background:#e9f7ef;border-color:#b7e1c5;color:#14532d}
.notice.info{background:#eef5fd;border-color:#c6dcf5;color:#0b3d70}
.secret{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.95rem;background:var(--bg);border:1px dashed var(--line);padding:.6rem .75rem;border-radius:6px;word-break:break-all;user-select:all}
table{width:100%;border-collapse:collapse;font-size:.95rem}
th,td{text-align:left;padding:.5rem .4rem;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:.85rem;color:var(--muted);font-weight:600}
th a.sort{color:inherit;text-decoration:none}
th a.sort:hover,th a.sort:focus{color:var(--fg);text-decoration:underline}
th[aria-sort]{color:var(--fg)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;background:var(--bg);padding:.1rem .3rem;border-radius:4px}
.badge{display:inline-block;font-size:.75rem;padding:.05rem .45rem;border-radius:999px;background:var(--bg);border:1px solid var(--line);color:var(--muted);margin-left:.3rem}
.badge.admin{color:var(--accent);border-color:#c6dcf5;background:#eef5fd}
.badge.pending{color:#8a5a00;border-color:#f0d9a8;background:#fff7e6}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;align-items:center;margin-top:1.2rem}
.actions .button,.actions button{margin-top:0}
.alt{margin-top:1.25rem;font-size:.92rem;color:var(--muted)}
.status{font-size:3rem;font-weight:700;color:var(--line);margin:0;line-height:1}
a{color:var(--accent)}
`)

export function layout(frame: PageFrame): Html {
  const nav = frame.user === undefined
    ? html``
    : html`<nav>
  <a href="/hub/home">Home</a>
  <a href="/hub/token">Tokens</a>
  ${frame.user.admin ? html`<a href="/hub/admin">Admin</a>` : ''}
  <span class="muted">${frame.user.name}</span>
  <form method="post" action="/hub/logout"><input type="hidden" name="_xsrf" value="${frame.xsrf ?? ''}"><button class="link" type="submit">Log out</button></form>
</nav>`
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${frame.title} · monohub</title>
<style>${STYLE}</style>
</head>
<body>
<header><div class="bar"><a class="brand" href="/hub/home">mono<span>hub</span></a>${nav}</div></header>
<main class="${frame.wide === true ? 'wide' : ''}">
${frame.body}
</main>
</body>
</html>
`
}

/** A notice box; kind error, ok or info. */
export function notice(kind: 'error' | 'ok' | 'info', message: string | Html | undefined): Html {
  if (message === undefined || message === '') return html``
  return html`<div class="notice ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${message}</div>`
}

export function hiddenXsrf(token: string): Html {
  return html`<input type="hidden" name="_xsrf" value="${token}">`
}
