/**
 * What the hub (`monohub` with no subcommand) can be configured with: one key
 * per setting, the same names in a config file (camelCase), in env
 * (MONOHUB_UPPER_SNAKE) and as flags (--kebab-case).
 *
 * `authenticator` is {kind: 'local'} (default), {kind: 'oidc', …},
 * {kind: 'github', …} or {kind: 'header', …} with the options of
 * src/auth/authenticators/<kind>.ts — or, from a JS config module, an object
 * implementing the Authenticator seam itself. The same goes for `spawner`
 * (see spawner-schema.ts).
 */
import { z } from 'zod'
import * as f from './fields.ts'
import { parseKindOptions } from './kind-options.ts'
import type { Authenticator } from '../auth/authenticator.ts'
import { spawnerConfigDefaults, spawnerConfigFields } from './spawner-schema.ts'
import { services } from './services-schema.ts'

/** A list of names: a JSON array of strings, or one comma-separated string (flags, env). */
export const nameList = f.field('a list of names (JSON array of strings, or comma-separated)', (value) => {
  const items = typeof value === 'string' ? value.split(',') : value
  if (!Array.isArray(items)) return undefined
  const out: string[] = []
  for (const item of items) {
    if (typeof item !== 'string') return undefined
    const trimmed = item.trim()
    if (trimmed !== '') out.push(trimmed)
  }
  return out
})

/** Whole seconds, at least 1. */
export const seconds = f.field('a whole number of seconds (1 or more)', (value) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) && n >= 1 && n <= 10 * 365 * 86400 ? n : undefined
})

const passwordLength = f.field('an integer 1–1024', (value) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  return Number.isInteger(n) && n >= 1 && n <= 1024 ? n : undefined
})

const publicUrl = f.field("an http(s) URL without a path, like 'https://hub.example.org'", (value) => {
  if (typeof value !== 'string') return undefined
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined
    return url.origin
  } catch {
    return undefined
  }
})

const str = z.string({ error: 'must be a string' })
const strList = z.array(z.string(), { error: 'must be a list of strings' })

const localOptions = z.strictObject({ kind: z.literal('local') })
const oidcOptions = z.strictObject({
  kind: z.literal('oidc'),
  issuer: str,
  clientId: str,
  clientSecret: str.optional(),
  clientAuthMethod: z.enum(['client_secret_basic', 'client_secret_post'], { error: "must be 'client_secret_basic' or 'client_secret_post'" }).optional(),
  scopes: strList.optional(),
  usernameClaim: str.optional(),
  groupsClaim: str.optional(),
  allowInsecureHttp: z.boolean({ error: 'must be true or false' }).optional(),
  extraAuthorizationParams: z.record(z.string(), z.string(), { error: 'must be an object of string values' }).optional(),
  label: str.optional(),
  timeoutSeconds: z.number({ error: 'must be a number of seconds' }).positive().optional(),
})
const githubOptions = z.strictObject({
  kind: z.literal('github'),
  clientId: str,
  clientSecret: str,
  allowedOrganizations: strList.optional(),
  scopes: strList.optional(),
  githubUrl: str.optional(),
  apiUrl: str.optional(),
  allowInsecureHttp: z.boolean({ error: 'must be true or false' }).optional(),
  label: str.optional(),
  timeoutSeconds: z.number({ error: 'must be a number of seconds' }).positive().optional(),
})
const headerOptions = z.strictObject({
  kind: z.literal('header'),
  userHeader: str.optional(),
  groupsHeader: str.optional(),
  groupsSeparator: str.optional(),
  trustedAddresses: strList,
  secretHeader: str.optional(),
  secret: str,
  label: str.optional(),
})

export type LocalAuthenticatorConfig = z.output<typeof localOptions>
export type OidcAuthenticatorConfig = z.output<typeof oidcOptions>
export type GithubAuthenticatorConfig = z.output<typeof githubOptions>
export type HeaderAuthenticatorConfig = z.output<typeof headerOptions>
export type AuthenticatorConfig =
  | LocalAuthenticatorConfig
  | OidcAuthenticatorConfig
  | GithubAuthenticatorConfig
  | HeaderAuthenticatorConfig
  | { kind: 'custom'; authenticator: Authenticator }

const byKind = { local: localOptions, oidc: oidcOptions, github: githubOptions, header: headerOptions } as const

function isAuthenticatorObject(value: unknown): value is Authenticator {
  return typeof value === 'object' && value !== null && typeof (value as Authenticator).authenticate === 'function'
}

/** {kind, …options}; a JSON string (env) is parsed; an object with authenticate() is a custom one. */
export const authenticator = z.unknown().transform((value, ctx): AuthenticatorConfig => {
  let raw = value
  if (typeof raw === 'string') {
    const text = raw.trim()
    if (/^[a-z]+$/.test(text)) raw = { kind: text }
    else {
      try {
        raw = JSON.parse(text)
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a kind (local, oidc, github, header) or a JSON object like {"kind":"oidc",…}' })
        return z.NEVER
      }
    }
  }
  if (isAuthenticatorObject(raw)) return { kind: 'custom', authenticator: raw }
  const kind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined
  if (typeof kind !== 'string' || !Object.hasOwn(byKind, kind)) {
    ctx.addIssue({ code: 'custom', message: "must be an object whose 'kind' is one of local, oidc, github, header (or an authenticator object from a JS config module)" })
    return z.NEVER
  }
  return parseKindOptions(byKind[kind as keyof typeof byKind], raw, kind, ctx) as AuthenticatorConfig
})

export const hubConfigSchema = z.strictObject({
  ip: f.ip,
  port: f.port,
  dataDir: f.dataDir,
  logLevel: f.logLevel,
  sslKey: f.path.optional(),
  sslCert: f.path.optional(),
  /** Origin people reach the hub at (behind a TLS front end, for OAuth callbacks and cookies' Secure flag). */
  publicUrl: publicUrl.optional(),
  allowSignup: f.boolean,
  minPasswordLength: passwordLength,
  authenticator,
  /** Anyone the authenticator vouches for may log in (always true for local accounts). */
  allowAll: f.boolean.optional(),
  allowedUsers: nameList,
  adminUsers: nameList,
  allowedGroups: nameList,
  adminGroups: nameList,
  allowlistFile: f.path.optional(),
  /** Absolute session lifetime. */
  sessionLifetime: seconds,
  /** A session unused this long ends. */
  sessionIdleTimeout: seconds,
  keepAliveTimeout: f.milliseconds,
  /** Users' servers: spawner, command, limits, named servers, culling (spawner-schema.ts). */
  ...spawnerConfigFields,
  /** Services beside the hub (idle culler, dashboards): [{name, url?, command?, scopes?, …}] (services-schema.ts). */
  services,
})

export type HubConfig = z.output<typeof hubConfigSchema> & {
  /** Settings the admin chose (flag, env or config file) rather than left at their default. */
  readonly explicitKeys?: ReadonlySet<string>
}
export type HubConfigKey = keyof z.input<typeof hubConfigSchema>
export const hubConfigKeys = Object.keys(hubConfigSchema.shape) as HubConfigKey[]

export const hubConfigDefaults: Partial<Record<HubConfigKey, unknown>> = {
  ip: '',
  port: 8000,
  dataDir: './monohub-data',
  logLevel: 'info',
  allowSignup: false,
  minPasswordLength: 8,
  authenticator: { kind: 'local' },
  allowedUsers: [],
  adminUsers: [],
  allowedGroups: [],
  adminGroups: [],
  sessionLifetime: 14 * 86400,
  sessionIdleTimeout: 3 * 86400,
  keepAliveTimeout: 5000,
  ...spawnerConfigDefaults,
  services: [],
}

export const hubPathKeys: ReadonlySet<string> = new Set<HubConfigKey>(['dataDir', 'sslKey', 'sslCert', 'allowlistFile'])
