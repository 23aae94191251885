/**
 * Offset/limit paging of list endpoints, as JupyterHub does it: a bare list
 * by default; with `Accept: application/jupyterhub-pagination+json` an object
 * `{items, _pagination: {offset, limit, total, next}}` whose `next.url` is
 * absolute (the public URL when configured, else the request's own host).
 */
import type { FastifyRequest } from 'fastify'

export const PAGINATION_MEDIA_TYPE = 'application/jupyterhub-pagination+json'
export const DEFAULT_PAGE_LIMIT = 200
export const MAX_PAGE_LIMIT = 200

export interface PageQuery {
  offset?: number
  limit?: number
}

/** JSON schema fragment for the querystring. */
export const pageQuerySchema = {
  offset: { type: 'integer', minimum: 0 },
  limit: { type: 'integer', minimum: 0 },
} as const

export function wantsPagination(req: FastifyRequest): boolean {
  const accept = req.headers.accept
  return typeof accept === 'string' && accept.includes(PAGINATION_MEDIA_TYPE)
}

/** Absolute URL of this request with `offset`/`limit` replaced. */
function pageUrl(req: FastifyRequest, publicUrl: string | undefined, offset: number, limit: number): string {
  const origin = publicUrl !== undefined ? new URL(publicUrl).origin : `${req.protocol}://${req.host}`
  const url = new URL(req.url, origin)
  url.searchParams.set('offset', String(offset))
  url.searchParams.set('limit', String(limit))
  return url.href
}

/** One page of `all`, each turned into JSON by `toJson`, in the shape the client asked for. */
export function paginate<T>(req: FastifyRequest, query: PageQuery, all: readonly T[], publicUrl: string | undefined, toJson: (item: T) => unknown): unknown {
  const offset = query.offset ?? 0
  const limit = query.limit === undefined || query.limit === 0 ? DEFAULT_PAGE_LIMIT : Math.min(query.limit, MAX_PAGE_LIMIT)
  const items = all.slice(offset, offset + limit).map(toJson)
  if (!wantsPagination(req)) return items
  const nextOffset = offset + limit
  const next = nextOffset < all.length ? { offset: nextOffset, limit, url: pageUrl(req, publicUrl, nextOffset, limit) } : null
  return { items, _pagination: { offset, limit, total: all.length, next } }
}
