/**
 * Micro-benchmark of route lookup alone, without HTTP: nanoseconds per
 * longest-prefix match in monohub's RouteTable (and, for comparison, CHP's
 * URLTrie) with a small and a large table, on realistic request paths
 * (/user/<name>/api/kernels/<id>/channels) spread over the whole table.
 */
import { RouteTable } from '../../src/proxy/route-table.ts'

export interface TrieMicroResult {
  routes: number
  monohubNsPerMatch: number
  chpNsPerMatch: number | undefined
}

interface ChpTrie {
  add(path: string, data: unknown): void
  get(path: string): { prefix: string } | undefined
}

const DISTINCT_PATHS = 4_096

export async function runTrieMicro(routeCounts: readonly number[], msPerMeasurement: number): Promise<TrieMicroResult[]> {
  const UrlTrie = await loadChpTrie()
  const results: TrieMicroResult[] = []
  for (const routes of routeCounts) {
    const names = Array.from({ length: routes }, (_, i) => `user${i}`)
    const table = new RouteTable<string>()
    table.set('/', 'hub')
    for (const name of names) table.set(`/user/${name}`, name)
    const paths = requestPaths(names)
    const monohubNsPerMatch = timeMatches(paths, msPerMeasurement, (path) => table.match(path)?.prefix)
    let chpNsPerMatch: number | undefined
    if (UrlTrie !== undefined) {
      const trie = new UrlTrie('/')
      trie.add('/', 'hub')
      for (const name of names) trie.add(`/user/${name}`, name)
      chpNsPerMatch = timeMatches(paths, msPerMeasurement, (path) => trie.get(path)?.prefix)
    }
    results.push({ routes, monohubNsPerMatch, chpNsPerMatch })
  }
  return results
}

/** Paths of requests a notebook makes, spread evenly over the users (deterministic). */
function requestPaths(names: readonly string[]): string[] {
  const paths: string[] = []
  for (let i = 0; i < DISTINCT_PATHS; i++) {
    const name = names[(i * 7_919) % names.length]!
    const kernel = ((i * 2_654_435_761) >>> 0).toString(16).padStart(8, '0')
    paths.push(`/user/${name}/api/kernels/${kernel}-4b1f-9c2e-${kernel}/channels`)
  }
  return paths
}

/** Best of three timed runs of ~msPerMeasurement each, in ns per call. */
function timeMatches(paths: readonly string[], msPerMeasurement: number, match: (path: string) => string | undefined): number {
  let sink = 0
  // Warm up so the JIT has optimised `match` before we time it.
  for (let i = 0; i < 200_000; i++) sink += match(paths[i & (DISTINCT_PATHS - 1)]!)?.length ?? 0
  let best = Number.POSITIVE_INFINITY
  for (let run = 0; run < 3; run++) {
    let calls = 0
    const started = process.hrtime.bigint()
    const deadline = started + BigInt(Math.round(msPerMeasurement * 1e6 / 3))
    let now = started
    while (now < deadline) {
      for (let i = 0; i < 10_000; i++) sink += match(paths[(calls + i) & (DISTINCT_PATHS - 1)]!)?.length ?? 0
      calls += 10_000
      now = process.hrtime.bigint()
    }
    best = Math.min(best, Number(now - started) / calls)
  }
  if (sink === -1) console.log('unreachable') // keeps `sink` alive
  return best
}

async function loadChpTrie(): Promise<(new (prefix: string) => ChpTrie) | undefined> {
  // CHP ships no types and no export map entry for lib/; a non-literal specifier keeps tsc out of it.
  const specifier: string = new URL('../../node_modules/configurable-http-proxy/lib/trie.js', import.meta.url).href
  try {
    return ((await import(specifier)) as { URLTrie: new (prefix: string) => ChpTrie }).URLTrie
  } catch {
    return undefined
  }
}
