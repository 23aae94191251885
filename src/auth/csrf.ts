/**
 * CSRF tokens, bound to what identifies the browser: the session id once
 * logged in, a random pre-login cookie on the login and signup forms.
 *
 *   token = <nonce>.<HMAC-SHA256(csrfKey, binding + nonce)>   (base64url)
 *
 * A fresh nonce per page keeps the token different on every response (so a
 * compression side channel such as BREACH cannot read it out byte by byte),
 * while any token made for the same binding verifies.
 *
 * Forms send it as the hidden input `_xsrf`; cookie-authenticated API calls
 * as the header `X-XSRFToken` (the names JupyterHub uses).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { CookieAttributes } from './cookie-header.ts'
import { serializeCookie } from './cookie-header.ts'

export const CSRF_FORM_FIELD = '_xsrf'
/** Lower-case, as Node presents request header names. */
export const CSRF_HEADER = 'x-xsrftoken'
/** Cookie that identifies a browser before it has a session. */
export const PRE_LOGIN_COOKIE_NAME = 'monohub-login'

export type CsrfBinding = string & { readonly __csrfBinding: true }

/** Binding for a logged-in browser. */
export function sessionBinding(sid: string): CsrfBinding {
  return `session:${sid}` as CsrfBinding
}

/** Binding for a browser on the login/signup form, from its pre-login cookie value. */
export function preLoginBinding(preLoginId: string): CsrfBinding {
  return `pre-login:${preLoginId}` as CsrfBinding
}

/** A new random value for the pre-login cookie. */
export function newPreLoginId(): string {
  return randomBytes(16).toString('base64url')
}

/** Set-Cookie value for the pre-login cookie (browser-session lifetime, HttpOnly, Lax). */
export function preLoginCookieHeader(id: string, secure: boolean, attrs: CookieAttributes = {}): string {
  return serializeCookie(PRE_LOGIN_COOKIE_NAME, id, { httpOnly: true, sameSite: 'Lax', secure, path: '/hub/', ...attrs })
}

function mac(key: string, binding: CsrfBinding, nonce: string): Buffer {
  return createHmac('sha256', key).update(binding).update('\0').update(nonce).digest()
}

/** A token for forms/requests made by the browser identified by `binding`. */
export function createCsrfToken(key: string, binding: CsrfBinding): string {
  const nonce = randomBytes(12).toString('base64url')
  return `${nonce}.${mac(key, binding, nonce).toString('base64url')}`
}

/** True when `token` was made with `key` for `binding`; constant time in the MAC comparison. */
export function verifyCsrfToken(key: string, binding: CsrfBinding, token: unknown): boolean {
  if (typeof token !== 'string' || token.length > 200) return false
  const dot = token.indexOf('.')
  if (dot <= 0) return false
  // Compare the text, not decoded bytes: base64 has several spellings of the
  // same bytes (unused low bits of the last character), only ours is accepted.
  const given = Buffer.from(token.slice(dot + 1))
  const expected = Buffer.from(mac(key, binding, token.slice(0, dot)).toString('base64url'))
  return given.length === expected.length && timingSafeEqual(given, expected)
}
