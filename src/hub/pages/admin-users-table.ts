/**
 * The admin page's users table, built for thousands of users: the server
 * filters (name contains the search text), sorts by any column in either
 * direction (name, admin, last activity — the later of the user's record and
 * their servers' activity — or server state) and sends one page of rows.
 * Plus the activity statistics shown above it.
 * Pure apart from reading the hub's state: one pass over the users per page.
 */
import type { HubContext } from '../context.ts'
import type { UserRecord } from '../../auth/records.ts'
import type { ServerStatus } from '../../spawn/lifecycle.ts'
import { serversByUser } from '../api/server-model.ts'
import { html, type Html } from '../views/html.ts'
import { hiddenXsrf } from '../views/layout.ts'
import { serverUrl, stateBadge, stateOf } from './spawn-views.ts'

export const ADMIN_PAGE_SIZE = 50

/** The table's columns that sort; each has a natural first direction (see FIRST_DESCENDING). */
const SORTS = ['name', 'admin', 'activity', 'state'] as const
export type AdminSort = (typeof SORTS)[number]
/** First click on these shows the "most" first: admins, the latest activity, running servers. */
const FIRST_DESCENDING: ReadonlySet<AdminSort> = new Set(['admin', 'activity', 'state'])

export interface AdminQuery {
  /** Part of a user name (case-insensitive). */
  q: string
  sort: AdminSort
  /** True: the column's natural order reversed (URL: sort=-name). */
  reverse: boolean
  /** 1-based. */
  page: number
}

export function adminQueryOf(raw: unknown): AdminQuery {
  const query = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
  const q = typeof query.q === 'string' ? query.q.trim().toLowerCase().slice(0, 100) : ''
  const rawSort = typeof query.sort === 'string' ? query.sort : ''
  const reverse = rawSort.startsWith('-')
  const named = SORTS.find((key) => key === (reverse ? rawSort.slice(1) : rawSort))
  const page = typeof query.page === 'string' && /^\d{1,6}$/.test(query.page) ? Math.max(1, Number(query.page)) : 1
  // An unknown sort falls back to the default rather than failing: it only comes from edited URLs.
  return { q, sort: named ?? 'name', reverse: named === undefined ? false : reverse, page }
}

function sortParam(query: AdminQuery): string {
  return `${query.reverse ? '-' : ''}${query.sort}`
}

export function adminUrl(query: AdminQuery, changes: Partial<AdminQuery> = {}): string {
  const next = { ...query, ...changes }
  const params = new URLSearchParams()
  if (next.q !== '') params.set('q', next.q)
  if (next.sort !== 'name' || next.reverse) params.set('sort', sortParam(next))
  if (next.page !== 1) params.set('page', String(next.page))
  const text = params.toString()
  return text === '' ? '/hub/admin' : `/hub/admin?${text}`
}

interface Row {
  user: UserRecord
  servers: ServerStatus[]
  lastActivity: number | undefined
}

export interface UsersPage {
  rows: Row[]
  total: number
  matching: number
  pages: number
  page: number
  stats: { day: number; week: number; month: number; running: number; pendingApproval: number }
}

const DAY = 86_400_000

const byName = (a: Row, b: Row): number => (a.user.name < b.user.name ? -1 : a.user.name > b.user.name ? 1 : 0)
/** running 0, starting/stopping 1, stopped 2. */
const stateRank = (row: Row): number => {
  const state = stateOf(row.servers.find((s) => s.name === ''))
  return state === 'running' ? 0 : state === 'stopped' ? 2 : 1
}

/**
 * The comparator for a sort: the column in its natural order (reversed on
 * request), then the name A→Z, so pages never shuffle between requests.
 * Accounts waiting for approval stay on top in the name order: they need the admin.
 */
function rowOrder(query: AdminQuery): (a: Row, b: Row) => number {
  const sign = query.reverse ? -1 : 1
  switch (query.sort) {
    case 'admin':
      return (a, b) => sign * (Number(b.user.admin) - Number(a.user.admin)) || byName(a, b)
    case 'activity':
      return (a, b) => sign * ((b.lastActivity ?? -1) - (a.lastActivity ?? -1)) || byName(a, b)
    case 'state':
      return (a, b) => sign * (stateRank(a) - stateRank(b)) || byName(a, b)
    case 'name':
      return (a, b) => Number(a.user.approved) - Number(b.user.approved) || sign * byName(a, b)
  }
}

/** One page of users for `query`, and the statistics over every user. */
export function usersPage(hub: HubContext, query: AdminQuery): UsersPage {
  const now = hub.now()
  const byUser = serversByUser(hub.servers.list())
  const all = Object.values(hub.store.state.users)
  const stats = { day: 0, week: 0, month: 0, running: 0, pendingApproval: 0 }
  const rows: Row[] = []
  for (const user of all) {
    const servers = byUser.get(user.name) ?? []
    let last = user.lastActivity
    for (const s of servers) {
      if (s.ready) stats.running++
      if (s.lastActivity !== undefined && (last === undefined || s.lastActivity > last)) last = s.lastActivity
    }
    if (last !== undefined) {
      const age = now - last
      if (age <= DAY) stats.day++
      if (age <= 7 * DAY) stats.week++
      if (age <= 30 * DAY) stats.month++
    }
    if (!user.approved) stats.pendingApproval++
    if (query.q === '' || user.name.includes(query.q)) rows.push({ user, servers, lastActivity: last })
  }
  rows.sort(rowOrder(query))
  const pages = Math.max(1, Math.ceil(rows.length / ADMIN_PAGE_SIZE))
  const page = Math.min(query.page, pages)
  return {
    rows: rows.slice((page - 1) * ADMIN_PAGE_SIZE, page * ADMIN_PAGE_SIZE),
    total: all.length,
    matching: rows.length,
    pages,
    page,
    stats,
  }
}

/** "3 min ago", "2 days ago", "never". */
export function ago(ms: number | undefined, now: number): string {
  if (ms === undefined) return 'never'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return 'just now'
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86_400)} days ago`
}

function rowHtml(row: Row, xsrf: string, back: string, me: string, now: number): Html {
  const { user } = row
  const main = row.servers.find((s) => s.name === '')
  const state = stateOf(main)
  const named = row.servers.filter((s) => s.name !== '').length
  const hidden = html`${hiddenXsrf(xsrf)}<input type="hidden" name="name" value="${user.name}"><input type="hidden" name="back" value="${back}">`
  const serverAction = state === 'stopped'
    ? html`<form method="post" action="/hub/admin/start">${hidden}<button class="small" type="submit">Start</button></form>`
    : html`${state === 'running' ? html`<a class="small" href="${serverUrl({ user: user.name, server: '' })}">Open</a>` : ''}<form method="post" action="/hub/admin/stop">${hidden}<button class="danger" type="submit">Stop</button></form>`
  const approve = user.approved ? '' : html`<form method="post" action="/hub/admin/approve">${hidden}<button class="small" type="submit">Approve</button></form>`
  const remove = user.name === me ? '' : html`<form method="post" action="/hub/admin/delete" onsubmit="return confirm('Delete this user and stop their servers?')">${hidden}<button class="danger" type="submit">Delete</button></form>`
  return html`<tr><td>${user.name}${user.admin ? html`<span class="badge admin">admin</span>` : ''}${user.approved ? '' : html`<span class="badge pending">waiting for approval</span>`}</td>
<td>${user.admin ? 'yes' : 'no'}</td>
<td title="${row.lastActivity === undefined ? '' : new Date(row.lastActivity).toISOString()}">${ago(row.lastActivity, now)}</td>
<td>${stateBadge(main)}${named > 0 ? html` <span class="muted">+${named} named</span>` : ''}</td>
<td class="row-actions">${approve}${serverAction}${remove}</td></tr>`
}

/** Statistics, the search/sort form, one page of the table and the pager. */
export function usersTable(hub: HubContext, query: AdminQuery, xsrf: string, me: string): Html {
  const page = usersPage(hub, query)
  const now = hub.now()
  const back = adminUrl(query, { page: page.page })
  const { stats } = page
  // A column heading links to sorting by it; on the sorted column it flips the direction.
  const sortHeading = (sort: AdminSort, label: string): Html => {
    const current = query.sort === sort
    const descending = query.reverse !== FIRST_DESCENDING.has(sort)
    const aria = current ? html` aria-sort="${descending ? 'descending' : 'ascending'}"` : ''
    const arrow = current ? (descending ? ' ▼' : ' ▲') : ''
    return html`<th${aria}><a class="sort" href="${adminUrl(query, { sort, reverse: current && !query.reverse, page: 1 })}" title="sort by ${label.toLowerCase()}${current ? ', other way round' : ''}">${label}${arrow}</a></th>`
  }
  return html`<div class="stats">
<div class="stat"><b>${page.total}</b><span>users</span></div>
<div class="stat"><b>${stats.running}</b><span>servers running</span></div>
<div class="stat"><b>${stats.day}</b><span>active in the last day</span></div>
<div class="stat"><b>${stats.week}</b><span>active in the last week</span></div>
<div class="stat"><b>${stats.month}</b><span>active in the last month</span></div>
</div>
<form class="inline-form" method="get" action="/hub/admin" style="margin-top:1.25rem">
<input type="text" name="q" value="${query.q}" placeholder="Search user names" aria-label="Search user names" autocapitalize="none">
${query.sort === 'name' && !query.reverse ? '' : html`<input type="hidden" name="sort" value="${sortParam(query)}">`}
<button type="submit">Search</button>${query.q === '' ? '' : html`<a href="${adminUrl({ ...query, q: '', page: 1 })}">Clear</a>`}
</form>
<p class="muted">${query.q === '' ? `${page.total} user${page.total === 1 ? '' : 's'}` : `${page.matching} of ${page.total} users match '${query.q}'`}${stats.pendingApproval > 0 ? ` · ${stats.pendingApproval} waiting for approval` : ''} · click a column heading to sort</p>
<table><thead><tr>${sortHeading('name', 'Name')}${sortHeading('admin', 'Admin')}${sortHeading('activity', 'Last activity')}${sortHeading('state', 'Server')}<th></th></tr></thead>
<tbody>${page.rows.map((row) => rowHtml(row, xsrf, back, me, now))}</tbody></table>
${page.matching === 0 ? html`<p class="muted">No users match.</p>` : ''}
<div class="pager">${page.page > 1 ? html`<a href="${adminUrl(query, { page: page.page - 1 })}">← Previous</a>` : html`<span></span>`}
<span class="muted">page ${page.page} of ${page.pages}</span>
${page.page < page.pages ? html`<a href="${adminUrl(query, { page: page.page + 1 })}">Next →</a>` : html`<span></span>`}</div>`
}
