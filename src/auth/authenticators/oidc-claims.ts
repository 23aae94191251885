/**
 * Which claim is the user name, and which the groups — pure, so every rule
 * is tested without a provider.
 *
 * User name: `usernameClaim` (default `preferred_username`). Only when the
 * claim is left at its default and the provider does not send it (Google
 * never does) the hub falls back to `email`, and only if `email_verified` is
 * true: an unverified address can be set to anyone's by whoever controls the
 * account. An explicitly configured claim has no fallback. `sub` is never
 * used — it is opaque and would make names no admin recognises.
 *
 * Claim names are looked up as written first (so URL-shaped names like
 * `https://example.org/groups` work), then as dotted paths into nested
 * objects (`realm_access.roles`, Keycloak's roles).
 */
export const DEFAULT_USERNAME_CLAIM = 'preferred_username'

export type Claims = Readonly<Record<string, unknown>>

/** A claim by name or dotted path, from the first source that has it. */
export function claimValue(sources: readonly Claims[], name: string): unknown {
  for (const source of sources) {
    if (Object.hasOwn(source, name)) return source[name]
    if (!name.includes('.')) continue
    let current: unknown = source
    for (const part of name.split('.')) {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !Object.hasOwn(current, part)) {
        current = undefined
        break
      }
      current = (current as Record<string, unknown>)[part]
    }
    if (current !== undefined) return current
  }
  return undefined
}

export type UserNameFromClaims =
  | { ok: true; name: string; claim: string }
  | { ok: false; message: string }

/** Picks the user name. `configured` is the option as given (undefined = default). */
export function userNameFromClaims(sources: readonly Claims[], configured: string | undefined): UserNameFromClaims {
  const claim = configured ?? DEFAULT_USERNAME_CLAIM
  const value = claimValue(sources, claim)
  if (typeof value === 'string' && value.trim() !== '') return { ok: true, name: value, claim }
  if (configured === undefined) {
    const email = claimValue(sources, 'email')
    if (typeof email === 'string' && email.trim() !== '' && claimValue(sources, 'email_verified') === true) {
      return { ok: true, name: email, claim: 'email' }
    }
  }
  const present = [...new Set(sources.flatMap((s) => Object.keys(s)))].sort().join(', ')
  const why = value === undefined ? 'is missing' : `is not a non-empty string (${JSON.stringify(value)?.slice(0, 60)})`
  const fallback = configured === undefined ? ' (and there is no verified email to fall back on)' : ''
  return {
    ok: false,
    message: `The identity provider's answer has no usable user name: claim '${claim}' ${why}${fallback}. Claims received: ${present}. An administrator should set authenticator.usernameClaim to one of them, or make the provider send '${claim}'.`,
  }
}

/**
 * Groups from `groupsClaim`: an array of strings, or a single string (one
 * group). Non-string entries are dropped; a missing claim means no groups.
 */
export function groupsFromClaims(sources: readonly Claims[], groupsClaim: string): string[] {
  const value = claimValue(sources, groupsClaim)
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (!Array.isArray(value)) return []
  return value.filter((g): g is string => typeof g === 'string' && g !== '')
}
