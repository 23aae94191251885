/**
 * Interleaved rounds: A, B, C, A, B, C … so that a slow minute of a shared
 * machine (another job, thermal throttling, a GC storm in the runner) lands on
 * every contestant alike instead of on whoever ran during it.
 */

/** Runs `measure` for every contestant in turn, `rounds` times; samples in round order. */
export async function interleave<C, R>(contestants: readonly C[], rounds: number, measure: (contestant: C, round: number) => Promise<R>): Promise<Map<C, R[]>> {
  const samples = new Map<C, R[]>(contestants.map((c) => [c, []]))
  for (let round = 0; round < rounds; round++) {
    for (const contestant of contestants) samples.get(contestant)!.push(await measure(contestant, round))
  }
  return samples
}

/** Median of the values (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** The value at percentile `p` (0–100) of unsorted samples; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

/** Per-field medians over rounds of numeric results. */
export function medianOf<R extends object>(rounds: readonly R[]): R {
  const first = rounds[0]
  if (first === undefined) throw new Error('medianOf: no rounds')
  const result: Record<string, unknown> = {}
  for (const key of Object.keys(first)) {
    const values = rounds.map((r) => (r as Record<string, unknown>)[key])
    result[key] = typeof values[0] === 'number' ? median(values as number[]) : values[0]
  }
  return result as R
}
