/**
 * The hub's `services` setting, like JupyterHub's `c.JupyterHub.services`:
 * processes or URLs beside the hub with their own API token and scopes —
 * routed at /services/<name>/ when they have a `url`, started (and
 * restarted) by the hub when they have a `command`. jupyterhub-idle-culler
 * is the best-known one.
 *
 * Kept beside hub-schema.ts (which adds `services: services`) so each file
 * stays about one thing. Every problem names the entry and the key (the
 * config error reads "services.0.url must be an http(s) URL …").
 */
import { z } from 'zod'
import { userNameProblem, normalizeUserName } from '../auth/user-name.ts'
import { validateScopes } from '../auth/scopes.ts'

export interface ServiceConfig {
  /** Validated like a user name; the route is /services/<name>/. */
  name: string
  /** Where the proxy sends /services/<name>/… (the whole path is forwarded, as JupyterHub's proxy does). */
  url?: string
  /** argv of a process the hub runs and restarts (no shell). */
  command?: string[]
  /** Extra environment for `command` (the hub's JUPYTERHUB_* variables win). */
  environment?: Record<string, string>
  /** Working directory for `command`; default the data dir. */
  cwd?: string
  /** The service's API token; generated at each hub start when a command is given and this is not. */
  apiToken?: string
  /** JupyterHub scopes the service's token holds (default none). */
  scopes: string[]
  /** Admin: the admin role's scopes on top of `scopes`. */
  admin: boolean
  /** Shown in the service model (JupyterHub's `info`, `display`). */
  info: Record<string, unknown>
  display: boolean
}

const str = z.string({ error: 'must be a string' })

const entrySchema = z.strictObject({
  name: str,
  url: str.optional(),
  command: z.array(str, { error: 'must be a list of strings (the program and its arguments)' }).min(1, { error: 'must name a program' }).optional(),
  environment: z.record(z.string(), z.string(), { error: 'must be an object of string values' }).optional(),
  cwd: str.optional(),
  apiToken: str.min(16, { error: 'must be at least 16 characters (a random secret; leave it out to have one generated)' }).optional(),
  scopes: z.array(str, { error: 'must be a list of scope names' }).optional(),
  admin: z.boolean({ error: 'must be true or false' }).optional(),
  info: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  display: z.boolean({ error: 'must be true or false' }).optional(),
})

type Issue = { message: string; path: PropertyKey[] }

function checkUrl(raw: string): string | undefined {
  try {
    const url = new URL(raw)
    // Kept as written (the service sees it again as JUPYTERHUB_SERVICE_URL).
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '') return raw
  } catch {
    // falls through
  }
  return undefined
}

function valueAt(raw: unknown, at: readonly PropertyKey[]): unknown {
  let value = raw
  for (const key of at) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined
  return value
}

/** One entry → its config, or the issues found in it (paths relative to the list). */
function parseEntry(raw: unknown, index: number, seen: Set<string>): ServiceConfig | Issue[] {
  const parsed = entrySchema.safeParse(raw)
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => {
      const message = issue.code === 'unrecognized_keys'
        ? `has unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')} — known: ${Object.keys(entrySchema.shape).join(', ')}`
        : issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined ? 'is required' : issue.message
      return { message, path: [index, ...issue.path] }
    })
  }
  const entry = parsed.data
  const issues: Issue[] = []
  const name = normalizeUserName(entry.name)
  const problem = userNameProblem(name)
  if (problem !== null) issues.push({ message: `is not a valid name (${problem.replace('user name', 'service name')}) — use letters, digits and . _ - @ +`, path: [index, 'name'] })
  else if (seen.has(name)) issues.push({ message: `'${name}' is used by an earlier service — names must be unique`, path: [index, 'name'] })
  seen.add(name)
  let url: string | undefined
  if (entry.url !== undefined) {
    url = checkUrl(entry.url)
    if (url === undefined) issues.push({ message: `must be an http(s) URL like 'http://127.0.0.1:10101' (got '${entry.url}')`, path: [index, 'url'] })
  }
  try {
    validateScopes(entry.scopes ?? [])
  } catch (err) {
    issues.push({ message: `has a bad scope: ${(err as Error).message}`, path: [index, 'scopes'] })
  }
  if (entry.url === undefined && entry.command === undefined && entry.apiToken === undefined) {
    issues.push({ message: `needs a url (a service the proxy routes to), a command (a process the hub runs), or an apiToken (a client of the hub's API running elsewhere)`, path: [index] })
  }
  if (issues.length > 0) return issues
  const service: ServiceConfig = { name, scopes: entry.scopes ?? [], admin: entry.admin ?? false, info: entry.info ?? {}, display: entry.display ?? true }
  if (url !== undefined) service.url = url
  if (entry.command !== undefined) service.command = entry.command
  if (entry.environment !== undefined) service.environment = entry.environment
  if (entry.cwd !== undefined) service.cwd = entry.cwd
  if (entry.apiToken !== undefined) service.apiToken = entry.apiToken
  return service
}

/** A list of service entries (a JSON string in env: MONOHUB_SERVICES='[{"name":…}]'). */
export const services = z.unknown().transform((value, ctx): ServiceConfig[] => {
  let raw = value
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw)
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON list of services like [{"name":"idle-culler","command":[…],"scopes":[…]}]' })
      return z.NEVER
    }
  }
  if (!Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: 'must be a list of services like [{"name":"idle-culler","command":[…],"scopes":[…]}]' })
    return z.NEVER
  }
  const out: ServiceConfig[] = []
  const seen = new Set<string>()
  let failed = false
  raw.forEach((entry, index) => {
    const result = parseEntry(entry, index, seen)
    if (Array.isArray(result)) {
      failed = true
      for (const issue of result) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path })
    } else {
      out.push(result)
    }
  })
  return failed ? z.NEVER : out
})
