/**
 * GET /hub/logo: the hub's logo, as JupyterHub serves it — Jupyter pages
 * under /user/<name>/ (jupyterhub-singleuser's templates) load it without a
 * login, so it needs none. A small inline SVG, cached for a day.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'

/** Two overlapping rings (one hub, many servers) and the word "monohub". */
export const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40" role="img" aria-label="monohub">
<title>monohub</title>
<circle cx="20" cy="20" r="13" fill="none" stroke="#f37726" stroke-width="5"/>
<circle cx="20" cy="20" r="4" fill="#f37726"/>
<text x="42" y="28" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="22" font-weight="600" fill="#4d4d4d">monohub</text>
</svg>
`

const ETAG = `"${createHash('sha256').update(LOGO_SVG).digest('base64url').slice(0, 16)}"`

export async function logoPage(app: FastifyInstance): Promise<void> {
  app.route({
    method: 'GET',
    url: '/hub/logo',
    handler: async (req, reply) => {
      void reply.header('cache-control', 'public, max-age=86400').header('etag', ETAG)
      if (req.headers['if-none-match'] === ETAG) return reply.code(304).send()
      return reply.type('image/svg+xml').send(LOGO_SVG)
    },
  })
}
