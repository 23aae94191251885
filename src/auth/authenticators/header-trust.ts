/**
 * Who may vouch for a user with a header: the pure checks behind the header
 * authenticator. A trusted front end is recognised by BOTH its TCP peer
 * address (single addresses or CIDR ranges, IPv4 and IPv6) and a shared
 * secret it adds to every request — an address alone is spoofable inside
 * shared networks (containers, NAT), a secret alone leaks too easily.
 */
import { BlockList, isIP } from 'node:net'
import { createHash, timingSafeEqual } from 'node:crypto'
import { AuthenticatorConfigError } from './authenticator-config-error.ts'

export interface TrustedAddresses {
  /** Whether a peer address (as Node reports it: `::ffff:10.0.0.1`, `fe80::1%eth0`, `10.0.0.1`) is trusted. */
  has(address: string): boolean
  /** The entries as configured, for logs. */
  readonly entries: readonly string[]
}

/**
 * `::ffff:10.0.0.1` (how a dual-stack socket reports an IPv4 peer) → `10.0.0.1`;
 * a zone id (`fe80::1%eth0`) is dropped. Returns the address and its family,
 * or null when it is not an IP address.
 */
export function canonicalAddress(raw: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  let address = raw.trim()
  const zone = address.indexOf('%')
  if (zone !== -1) address = address.slice(0, zone)
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1)
  const lower = address.toLowerCase()
  if (lower.startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7)
  const version = isIP(address)
  if (version === 4) return { address, family: 'ipv4' }
  if (version === 6) return { address: lower, family: 'ipv6' }
  return null
}

/**
 * Parses `trustedAddresses` entries: `10.0.0.5`, `10.0.0.0/8`, `::1`,
 * `fd00::/8`, `::ffff:10.0.0.5` (treated as the IPv4 address). Throws
 * AuthenticatorConfigError naming the bad entry.
 */
export function trustedAddresses(entries: readonly string[], option = 'authenticator.trustedAddresses'): TrustedAddresses {
  if (entries.length === 0) {
    throw new AuthenticatorConfigError(option, 'no trusted front-end address is configured — list the address(es) of the proxy that sets the user header, e.g. ["127.0.0.1", "10.0.0.0/24"]')
  }
  const list = new BlockList()
  for (const entry of entries) {
    const slash = entry.indexOf('/')
    const host = slash === -1 ? entry : entry.slice(0, slash)
    const parsed = canonicalAddress(host)
    if (parsed === null) {
      throw new AuthenticatorConfigError(option, `'${entry}' is not an IP address or CIDR range (host names are not accepted: a name can change what it points to) — use e.g. 10.0.0.5, 10.0.0.0/24, ::1 or fd00::/8`)
    }
    if (slash === -1) {
      list.addAddress(parsed.address, parsed.family)
      continue
    }
    const prefixText = entry.slice(slash + 1)
    let prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN
    // `::ffff:10.0.0.0/104` names an IPv4 range in mapped form: /104 there is /8 for IPv4.
    const mappedV4 = parsed.family === 'ipv4' && host.toLowerCase().includes(':')
    if (mappedV4) prefix -= 96
    const max = parsed.family === 'ipv4' ? 32 : 128
    if (!(prefix >= 0 && prefix <= max)) {
      throw new AuthenticatorConfigError(option, `'${entry}' has a bad prefix length (want 0–${mappedV4 ? '96–128 for a ::ffff: range' : max})`)
    }
    list.addSubnet(parsed.address, prefix, parsed.family)
  }
  return {
    entries: [...entries],
    has(address: string): boolean {
      const parsed = canonicalAddress(address)
      return parsed !== null && list.check(parsed.address, parsed.family)
    },
  }
}

/** Compares a presented secret with the configured one without leaking, through timing, how much of it matched or how long it is. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest()
  const b = createHash('sha256').update(expected, 'utf8').digest()
  return timingSafeEqual(a, b)
}
