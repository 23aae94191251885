/**
 * Local accounts: user names and scrypt password hashes in the hub's own
 * records. Admins create users; with `allowSignup`, people may sign up
 * themselves and wait for an admin's approval (as NativeAuthenticator does).
 *
 * Timing does not tell whether a name exists: an unknown name (or one with
 * no password) is checked against a dummy hash with the same parameters.
 */
import type { Authenticator, AuthRequest, AuthResult } from '../authenticator.ts'
import { LoginRefusedError } from '../authenticator.ts'
import { checkPasswordPolicy, hashPassword, verifyPassword, needsRehash, DEFAULT_SCRYPT_PARAMS, MIN_PASSWORD_LENGTH, type ScryptParams } from '../passwords.ts'
import type { HubOp, HubState, UserRecord } from '../records.ts'
import { newUserRecord } from '../records.ts'
import { normalizeUserName, userNameProblem, validateUserName } from '../user-name.ts'
import { ExplainedError } from '../../explained-error.ts'

export interface LocalAuthenticatorOptions {
  /** The hub's records (read on each call). */
  state: () => HubState
  /** Makes a change durable (Store.commit). */
  commit: (op: HubOp) => Promise<void>
  now?: () => number
  allowSignup?: boolean
  /** Admins must approve self-signed-up accounts; default true. */
  signupNeedsApproval?: boolean
  minPasswordLength?: number
  scrypt?: ScryptParams
}

export class LocalAccountError extends ExplainedError {
  constructor(code: string, message: string, status = 400) {
    super(code, status, message)
  }
}

export class LocalAuthenticator implements Authenticator {
  readonly name = 'local'
  readonly kind = 'form' as const
  readonly allowSignup: boolean
  readonly minPasswordLength: number
  private readonly options: LocalAuthenticatorOptions
  private readonly now: () => number
  private dummyHash: Promise<string> | undefined

  constructor(options: LocalAuthenticatorOptions) {
    this.options = options
    this.now = options.now ?? Date.now
    this.allowSignup = options.allowSignup ?? false
    this.minPasswordLength = options.minPasswordLength ?? MIN_PASSWORD_LENGTH
  }

  private get params(): ScryptParams {
    return this.options.scrypt ?? DEFAULT_SCRYPT_PARAMS
  }

  private user(name: string): UserRecord | undefined {
    const users = this.options.state().users
    return Object.hasOwn(users, name) ? users[name] : undefined
  }

  /** Verifies against the user's hash, or a dummy one so the time taken is the same. */
  private async passwordMatches(user: UserRecord | undefined, password: string): Promise<boolean> {
    if (user?.passwordHash !== undefined) return verifyPassword(password, user.passwordHash)
    this.dummyHash ??= hashPassword('not the password of anyone', this.params)
    await verifyPassword(password, await this.dummyHash)
    return false
  }

  /** Form fields `username` and `password`. Null for a wrong name or password (the caller throttles). */
  async authenticate(req: AuthRequest): Promise<AuthResult | null> {
    const username = req.form?.username
    const password = req.form?.password
    if (typeof username !== 'string' || typeof password !== 'string') return null
    const name = normalizeUserName(username)
    const user = userNameProblem(name) === null ? this.user(name) : undefined
    if (!(await this.passwordMatches(user, password)) || user === undefined) return null
    if (!user.approved) {
      throw new LoginRefusedError('PENDING_APPROVAL', `Your account '${name}' is waiting for an administrator's approval. You can log in once it is approved.`)
    }
    if (user.passwordHash !== undefined && needsRehash(user.passwordHash, this.params)) {
      // Parameters were raised since this hash was made: upgrade it now that we know the password.
      await this.options.commit({ op: 'user.setPassword', name, passwordHash: await hashPassword(password, this.params) })
    }
    return { name, admin: user.admin, groups: user.groups }
  }

  /** Self-signup: creates an account (unapproved unless approval is off). */
  async signup(username: string, password: string): Promise<UserRecord> {
    if (!this.allowSignup) throw new LocalAccountError('SIGNUP_DISABLED', 'Sign-up is not enabled on this hub — ask an administrator for an account.', 403)
    const name = validateUserName(username)
    checkPasswordPolicy(password, this.minPasswordLength)
    if (this.user(name) !== undefined) throw new LocalAccountError('USER_EXISTS', `The name '${name}' is taken — choose another.`, 409)
    const record = newUserRecord(name, this.now(), {
      approved: !(this.options.signupNeedsApproval ?? true),
      passwordHash: await hashPassword(password, this.params),
    })
    await this.options.commit({ op: 'user.put', user: record })
    return record
  }

  /** An admin creates an account (approved). Password optional: without one the user cannot log in locally. */
  async createUser(username: string, fields: { password?: string; admin?: boolean; groups?: string[] } = {}): Promise<UserRecord> {
    const name = validateUserName(username)
    if (this.user(name) !== undefined) throw new LocalAccountError('USER_EXISTS', `User '${name}' already exists.`, 409)
    let passwordHash: string | undefined
    if (fields.password !== undefined) {
      checkPasswordPolicy(fields.password, this.minPasswordLength)
      passwordHash = await hashPassword(fields.password, this.params)
    }
    const record = newUserRecord(name, this.now(), { admin: fields.admin ?? false, groups: fields.groups ?? [], ...(passwordHash !== undefined ? { passwordHash } : {}) })
    await this.options.commit({ op: 'user.put', user: record })
    return record
  }

  /** An admin approves a self-signed-up account. */
  async approve(username: string): Promise<void> {
    const user = this.user(normalizeUserName(username))
    if (user === undefined) throw new LocalAccountError('NO_SUCH_USER', `No user '${username}'.`, 404)
    if (!user.approved) await this.options.commit({ op: 'user.put', user: { ...user, approved: true } })
  }

  /**
   * The user changes their own password; the old one is required. Ends the
   * user's other sessions (generation bump): the caller re-issues this
   * browser's cookie with the new generation.
   */
  async changePassword(username: string, oldPassword: string, newPassword: string): Promise<void> {
    const name = normalizeUserName(username)
    const user = this.user(name)
    if (!(await this.passwordMatches(user, oldPassword)) || user === undefined) {
      throw new LocalAccountError('WRONG_PASSWORD', 'The current password is not right — the password was not changed.', 403)
    }
    checkPasswordPolicy(newPassword, this.minPasswordLength)
    await this.options.commit({ op: 'user.setPassword', name, passwordHash: await hashPassword(newPassword, this.params) })
    await this.options.commit({ op: 'user.bumpGeneration', name })
  }

  /** An admin (or the CLI) sets a password without the old one. Also ends the user's sessions. */
  async setPassword(username: string, newPassword: string): Promise<void> {
    const name = normalizeUserName(username)
    if (this.user(name) === undefined) throw new LocalAccountError('NO_SUCH_USER', `No user '${username}'.`, 404)
    checkPasswordPolicy(newPassword, this.minPasswordLength)
    await this.options.commit({ op: 'user.setPassword', name, passwordHash: await hashPassword(newPassword, this.params) })
    await this.options.commit({ op: 'user.bumpGeneration', name })
  }
}
