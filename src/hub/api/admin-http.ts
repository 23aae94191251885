/**
 * HubAdmin through a running hub's REST API, with the admin token the hub
 * wrote to hub-runtime.json for this start. API refusals keep their message;
 * a hub that does not answer is HUB_UNREACHABLE with what to do.
 */
import type { HubRuntime } from '../runtime-file.ts'
import { HubAdminError, type HubAdmin, type NewTokenRequest } from './hub-admin.ts'
import { PAGINATION_MEDIA_TYPE } from './pagination.ts'
import { UserNameError, validateUserName } from '../../auth/user-name.ts'

const REQUEST_TIMEOUT_MS = 15_000

const CODE_BY_STATUS: Record<number, string> = { 400: 'BAD_REQUEST', 403: 'FORBIDDEN', 404: 'NO_SUCH_USER', 409: 'USER_EXISTS' }

export class HttpHubAdmin implements HubAdmin {
  readonly via = 'hub' as const
  readonly url: string
  readonly #runtime: HubRuntime

  constructor(runtime: HubRuntime) {
    this.#runtime = runtime
    this.url = runtime.url.replace(/\/+$/, '')
  }

  async #call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
    let response: Response
    try {
      response = await fetch(`${this.url}/hub/api${path}`, {
        method,
        headers: { authorization: `token ${this.#runtime.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause
      const reason = cause?.code ?? cause?.message ?? (err as Error).message
      throw new HubAdminError('HUB_UNREACHABLE', `the hub (pid ${this.#runtime.pid}) holds the data dir but does not answer at ${this.url} (${reason}) — is it still starting or stuck? Try again, or stop it and run this command again`, 503)
    }
    const text = await response.text()
    let json: any
    try {
      json = text.length === 0 ? undefined : JSON.parse(text)
    } catch {
      json = undefined
    }
    if (!response.ok) {
      const message = typeof json?.message === 'string' ? json.message : `HTTP ${response.status}`
      if (response.status === 403 && message.startsWith('the API token is not valid')) {
        throw new HubAdminError('HUB_UNREACHABLE', `the hub at ${this.url} refused the token in hub-runtime.json (is that file left over from an earlier start?) — restart the hub to rewrite it`, 503)
      }
      throw new HubAdminError(CODE_BY_STATUS[response.status] ?? 'HUB_ERROR', message, response.status)
    }
    return json
  }

  /** Checked here first: fetch resolves '.' and '..' in a URL, so `user add ..` would reach /hub/api/. */
  #user(name: string): string {
    try {
      return `/users/${encodeURIComponent(validateUserName(name))}`
    } catch (err) {
      if (err instanceof UserNameError) throw new HubAdminError(err.code, err.message, err.status)
      throw err
    }
  }

  async addUser(name: string, fields: { admin?: boolean; password?: string }): Promise<Record<string, unknown>> {
    return this.#call('POST', this.#user(name), { admin: fields.admin ?? false, ...(fields.password === undefined ? {} : { password: fields.password }) })
  }

  async removeUser(name: string): Promise<void> {
    await this.#call('DELETE', this.#user(name))
  }

  async listUsers(): Promise<Record<string, unknown>[]> {
    const users: Record<string, unknown>[] = []
    let path: string | null = '/users?offset=0'
    for (let pages = 0; path !== null && pages < 100_000; pages++) {
      const page: { items: Record<string, unknown>[]; _pagination: { next: { url: string } | null } } = await this.#call('GET', path, undefined, { accept: PAGINATION_MEDIA_TYPE })
      users.push(...page.items)
      const next: { url: string } | null = page._pagination.next
      path = next === null ? null : '/users' + new URL(next.url).search
    }
    return users
  }

  async setPassword(name: string, password: string): Promise<void> {
    await this.#call('PATCH', this.#user(name), { password })
  }

  async setAdmin(name: string, admin: boolean): Promise<Record<string, unknown>> {
    return this.#call('PATCH', this.#user(name), { admin })
  }

  async createToken(user: string, request: NewTokenRequest): Promise<Record<string, unknown> & { token: string }> {
    return this.#call('POST', `${this.#user(user)}/tokens`, {
      note: request.note ?? 'Requested via monohub token create',
      ...(request.scopes === undefined || request.scopes.length === 0 ? {} : { scopes: request.scopes }),
      ...(request.expiresIn === undefined ? {} : { expires_in: request.expiresIn }),
    })
  }

  async close(): Promise<void> {}
}
