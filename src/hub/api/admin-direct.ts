/**
 * HubAdmin on the hub's store, opened by the CLI while no hub runs. The same
 * rules as the REST API: names validated, password policy, token scopes
 * within the owner's.
 */
import type { Store } from '../../store/store.ts'
import type { HubOp, HubState, UserRecord } from '../../auth/records.ts'
import { newUserRecord } from '../../auth/records.ts'
import { normalizeUserName, validateUserName } from '../../auth/user-name.ts'
import { checkPasswordPolicy, hashPassword } from '../../auth/passwords.ts'
import { createToken, tokenModel } from '../../auth/tokens.ts'
import { expandScopes, intersectScopes, userScopes, validateScopes } from '../../auth/scopes.ts'
import { userModel } from './models.ts'
import { HubAdminError, type HubAdmin, type NewTokenRequest } from './hub-admin.ts'

export class DirectHubAdmin implements HubAdmin {
  readonly via = 'direct' as const
  readonly #store: Store<HubState, HubOp>
  readonly #now: () => number

  constructor(store: Store<HubState, HubOp>, now: () => number = Date.now) {
    this.#store = store
    this.#now = now
  }

  #find(raw: string): UserRecord | undefined {
    const users = this.#store.state.users
    const name = normalizeUserName(raw)
    return Object.hasOwn(users, name) ? users[name] : undefined
  }

  #existing(raw: string): UserRecord {
    const user = this.#find(raw)
    if (user === undefined) throw new HubAdminError('NO_SUCH_USER', `no user '${raw}' — see \`monohub user list\``, 404)
    return user
  }

  async addUser(raw: string, fields: { admin?: boolean; password?: string }): Promise<Record<string, unknown>> {
    const name = validateUserName(raw)
    if (this.#find(name) !== undefined) throw new HubAdminError('USER_EXISTS', `user '${name}' already exists`, 409)
    let passwordHash: string | undefined
    if (fields.password !== undefined) {
      checkPasswordPolicy(fields.password)
      passwordHash = await hashPassword(fields.password)
    }
    const user = newUserRecord(name, this.#now(), { admin: fields.admin ?? false, ...(passwordHash === undefined ? {} : { passwordHash }) })
    await this.#store.commit({ op: 'user.put', user })
    return userModel(user)
  }

  async removeUser(raw: string): Promise<void> {
    await this.#store.commit({ op: 'user.delete', name: this.#existing(raw).name })
  }

  async listUsers(): Promise<Record<string, unknown>[]> {
    return Object.values(this.#store.state.users)
      .sort((a, b) => a.created - b.created || (a.name < b.name ? -1 : 1))
      .map(userModel)
  }

  async setPassword(raw: string, password: string): Promise<void> {
    const user = this.#existing(raw)
    checkPasswordPolicy(password)
    await this.#store.commit({ op: 'user.setPassword', name: user.name, passwordHash: await hashPassword(password) })
    await this.#store.commit({ op: 'user.bumpGeneration', name: user.name })
  }

  async setAdmin(raw: string, admin: boolean): Promise<Record<string, unknown>> {
    const user = this.#existing(raw)
    if (user.admin !== admin) await this.#store.commit({ op: 'user.put', user: { ...user, admin } })
    return userModel(this.#existing(user.name))
  }

  async createToken(raw: string, request: NewTokenRequest): Promise<Record<string, unknown> & { token: string }> {
    const owner = this.#existing(raw)
    const scopes = request.scopes !== undefined && request.scopes.length > 0 ? request.scopes : ['inherit']
    validateScopes(scopes)
    const ownerScopes = userScopes(owner)
    const wanted = expandScopes(scopes, { name: owner.name, scopes: ownerScopes })
    const granted = intersectScopes(wanted, ownerScopes)
    const missing = [...wanted].filter((s) => !granted.has(s))
    if (missing.length > 0) throw new HubAdminError('SCOPES_NOT_HELD', `user '${owner.name}' does not hold these scopes, so a token of theirs cannot: ${missing.join(', ')}`, 403)
    const { token, record } = createToken({
      owner: owner.name,
      note: request.note ?? 'Requested via monohub token create',
      scopes,
      now: this.#now(),
      ...(request.expiresIn === undefined ? {} : { expiresIn: request.expiresIn }),
    })
    await this.#store.commit({ op: 'token.put', token: record })
    return { ...tokenModel(record), token }
  }

  async close(): Promise<void> {
    await this.#store.close()
  }
}
