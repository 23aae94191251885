/**
 * The report: one markdown table per case, its ratios, then every target with
 * MET / NOT MET — text that can be pasted into an issue or README as is.
 */
import type { CaseId } from './options.ts'

export type TargetStatus = 'MET' | 'NOT MET' | 'NOT RUN'

export interface TargetResult {
  description: string
  status: TargetStatus
  /** The numbers behind the verdict. */
  detail: string
}

export interface CaseReport {
  id: CaseId
  title: string
  header: string[]
  rows: string[][]
  /** Ratios and notes printed under the table. */
  lines: string[]
  targets: TargetResult[]
  /** Raw numbers for --json. */
  data: Record<string, unknown>
}

/** A target verdict; `met` undefined means it could not be measured (e.g. monohub missing). */
export function target(description: string, met: boolean | undefined, detail: string): TargetResult {
  return { description, status: met === undefined ? 'NOT RUN' : met ? 'MET' : 'NOT MET', detail }
}

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string => '| ' + widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ') + ' |'
  return [line(header), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line)].join('\n')
}

export function renderCase(report: CaseReport): string {
  const parts = [`### ${report.title}`, '', renderTable(report.header, report.rows)]
  if (report.lines.length > 0) parts.push('', ...report.lines.map((l) => `- ${l}`))
  return parts.join('\n')
}

export function renderTargets(targets: readonly TargetResult[]): string {
  const rows = targets.map((t) => [t.status, t.description, t.detail])
  return ['### Targets', '', renderTable(['status', 'target', 'measured'], rows)].join('\n')
}

export function renderReport(environment: readonly string[], reports: readonly CaseReport[]): string {
  return [
    '## monohub proxy benchmark',
    '',
    ...environment.map((l) => `- ${l}`),
    '',
    ...reports.flatMap((r) => [renderCase(r), '']),
    renderTargets(reports.flatMap((r) => r.targets)),
    '',
  ].join('\n')
}
