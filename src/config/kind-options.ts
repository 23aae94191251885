/**
 * Settings chosen by a `kind` (authenticator, spawner): parse the object with
 * the schema of its kind and report each problem at its own key, in words a
 * person can act on ("is required", "has unknown option(s) … for kind 'oidc'").
 */
import { z } from 'zod'

export function parseKindOptions<S extends z.ZodType>(schema: S, raw: unknown, kind: string, ctx: z.RefinementCtx): z.output<S> | typeof z.NEVER {
  const parsed = schema.safeParse(raw, { reportInput: true })
  if (parsed.success) return parsed.data
  for (const issue of parsed.error.issues) {
    const message = issue.code === 'unrecognized_keys'
      ? `has unknown option(s) ${issue.keys.map((k) => `'${k}'`).join(', ')} for kind '${kind}'`
      : issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message
    ctx.addIssue({ code: 'custom', message, path: issue.path as PropertyKey[] })
  }
  return z.NEVER
}
