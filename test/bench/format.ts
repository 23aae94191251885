/** How numbers read in the report: fixed units, thousands separated, n/a for missing. */

const missing = (n: number | undefined): n is undefined => n === undefined || !Number.isFinite(n)

/** 48213.7 → "48,214" */
export function count(n: number | undefined): string {
  return missing(n) ? 'n/a' : Math.round(n).toLocaleString('en-US')
}

/** 1.2345 → "1.23 ms"; small values keep more digits. */
export function ms(n: number | undefined): string {
  if (missing(n)) return 'n/a'
  return `${n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')} ms`
}

/** 2.456 → "2.46×" */
export function ratio(n: number | undefined): string {
  return missing(n) ? 'n/a' : `${n.toFixed(2)}×`
}

/** Bytes per second → "812.3 MiB/s" */
export function mibPerSec(n: number | undefined): string {
  return missing(n) ? 'n/a' : `${(n / 1_048_576).toFixed(1)} MiB/s`
}

export function ns(n: number | undefined): string {
  return missing(n) ? 'n/a' : `${n.toFixed(1)} ns`
}

/** a / b, undefined when either is missing or b is 0. */
export function divide(a: number | undefined, b: number | undefined): number | undefined {
  if (missing(a) || missing(b) || b === 0) return undefined
  return a / b
}
