/**
 * A tiny HTML template tag that escapes every interpolated value unless it is
 * already Html (made by this tag, or explicitly by `trustedHtml`). Arrays of
 * values are joined, each element escaped the same way; null, undefined and
 * false render as nothing.
 *
 *   html`<p>Hello ${name}</p>`           name is escaped
 *   html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`
 */

export class Html {
  readonly text: string
  constructor(text: string) {
    this.text = text
  }
  toString(): string {
    return this.text
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (ch) => ESCAPES[ch]!)
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text
  if (value === null || value === undefined || value === false) return ''
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '')
  return new Html(out)
}

/** Marks text as HTML that must not be escaped. Only for text this program wrote itself (CSS, fixed markup). */
export function trustedHtml(text: string): Html {
  return new Html(text)
}
