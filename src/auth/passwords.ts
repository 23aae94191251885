/**
 * Password hashes: scrypt with a random salt, parameters stored inside the
 * hash string so they can be raised later without breaking old hashes:
 *
 *   scrypt$ln=15,r=8,p=1$<salt, base64>$<key, base64>
 *
 * (ln = log2 of the cost N.) Passwords are NFKC-normalised before hashing, as
 * NIST SP 800-63B recommends, so the same password typed on different
 * keyboards matches.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { ExplainedError } from '../explained-error.ts'

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. */
  ln: number
  r: number
  p: number
}

/** ~32 MiB and ~0.1 s per hash on a small VM: slow for guessing, fine for a login. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { ln: 15, r: 8, p: 1 }

const KEY_LENGTH = 32
const SALT_LENGTH = 16
// Refuse parameters that would take minutes or gigabytes (a corrupted or hostile record).
const MAX_LN = 20
const MAX_R = 32
const MAX_P = 16

export const MIN_PASSWORD_LENGTH = 8
/** Long enough for any passphrase; bounds the work an attacker can make us do. */
export const MAX_PASSWORD_LENGTH = 1024

export class PasswordHashError extends ExplainedError {
  constructor(message: string) {
    super('BAD_PASSWORD_HASH', 500, message)
  }
}

export class PasswordPolicyError extends ExplainedError {
  constructor(message: string) {
    super('PASSWORD_POLICY', 400, message)
  }
}

function scryptAsync(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 128 * N * params.r * params.p + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** Hashes `password` with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  checkParams(params)
  const salt = randomBytes(SALT_LENGTH)
  const key = await scryptAsync(password, salt, params)
  return `scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`
}

interface ParsedHash {
  params: ScryptParams
  salt: Buffer
  key: Buffer
}

function checkParams(params: ScryptParams): void {
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max
  if (!ok(params.ln, MAX_LN) || !ok(params.r, MAX_R) || !ok(params.p, MAX_P)) {
    throw new PasswordHashError(`scrypt parameters ln=${params.ln},r=${params.r},p=${params.p} are outside the accepted range (ln ≤ ${MAX_LN}, r ≤ ${MAX_R}, p ≤ ${MAX_P})`)
  }
}

/** Parses a stored hash; throws PasswordHashError for anything not made by hashPassword. */
export function parsePasswordHash(stored: string): ParsedHash {
  const parts = stored.split('$')
  const m = /^ln=(\d+),r=(\d+),p=(\d+)$/.exec(parts[1] ?? '')
  if (parts.length !== 4 || parts[0] !== 'scrypt' || m === null) {
    throw new PasswordHashError("stored password hash is not in the form 'scrypt$ln=…,r=…,p=…$salt$key' — reset the password (monohub user set-password)")
  }
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  checkParams(params)
  const salt = Buffer.from(parts[2] ?? '', 'base64')
  const key = Buffer.from(parts[3] ?? '', 'base64')
  if (salt.length < 8 || key.length < 16) throw new PasswordHashError('stored password hash has a truncated salt or key — reset the password (monohub user set-password)')
  return { params, salt, key }
}

/** True when `password` matches `stored`; compares in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { params, salt, key } = parsePasswordHash(stored)
  if (password.length > MAX_PASSWORD_LENGTH) return false
  const candidate = await scryptAsync(password, salt, params)
  return candidate.length === key.length && timingSafeEqual(candidate, key)
}

/** True when `stored` was made with weaker parameters than `params`: re-hash it at the next successful login. */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const current = parsePasswordHash(stored).params
  return current.ln < params.ln || current.r < params.r || current.p < params.p
}

/** What is wrong with a new password, or null. Counts characters, not bytes. */
export function passwordProblem(password: string, minLength: number = MIN_PASSWORD_LENGTH): string | null {
  const length = [...password.normalize('NFKC')].length
  if (length < minLength) return `password is ${length} characters long; it must have at least ${minLength} (a few unrelated words make a good one)`
  if (password.length > MAX_PASSWORD_LENGTH) return `password is longer than ${MAX_PASSWORD_LENGTH} characters`
  return null
}

/** Throws PasswordPolicyError when `password` does not meet the policy. */
export function checkPasswordPolicy(password: string, minLength: number = MIN_PASSWORD_LENGTH): void {
  const problem = passwordProblem(password, minLength)
  if (problem !== null) throw new PasswordPolicyError(problem)
}
