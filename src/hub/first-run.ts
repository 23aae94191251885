/**
 * First run: when the hub has no users yet and accounts are local, an
 * `admin` account is created with a random one-time password — or the one in
 * MONOHUB_ADMIN_PASSWORD (automation). The password is returned once so the
 * process can print it once; it is never stored in clear or logged.
 */
import { randomBytes } from 'node:crypto'
import type { HubContext } from './context.ts'
import { LocalAuthenticator } from '../auth/authenticators/local.ts'

export const FIRST_ADMIN_NAME = 'admin'

export interface FirstRun {
  /** The admin account was created now. */
  created: boolean
  /** The generated password, only when it was generated now (not from env). */
  generatedPassword?: string
}

/** 20 characters from an alphabet without look-alikes (0/O, 1/l/I): ~115 bits. */
export function newAdminPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  const bytes = randomBytes(40)
  let out = ''
  for (const b of bytes) {
    if (b >= 224) continue // 224 = 4 × 56: keeps the choice uniform
    out += alphabet[b % alphabet.length]
    if (out.length === 20) break
  }
  return out.length === 20 ? out : newAdminPassword()
}

/** Creates the first admin when there are no users and the authenticator is local. */
export async function ensureFirstAdmin(hub: HubContext, env: Record<string, string | undefined>): Promise<FirstRun> {
  if (!(hub.authenticator instanceof LocalAuthenticator)) return { created: false }
  if (Object.keys(hub.store.state.users).length > 0) return { created: false }
  const fromEnv = env.MONOHUB_ADMIN_PASSWORD
  const password = fromEnv !== undefined && fromEnv !== '' ? fromEnv : newAdminPassword()
  await hub.authenticator.createUser(FIRST_ADMIN_NAME, { password, admin: true })
  return fromEnv !== undefined && fromEnv !== '' ? { created: true } : { created: true, generatedPassword: password }
}
