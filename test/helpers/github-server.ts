/**
 * A local stand-in for GitHub's OAuth and REST endpoints, for tests (GitHub
 * itself cannot be reached from here). It speaks the parts the GitHub
 * authenticator uses, the way GitHub does — including its habit of reporting
 * token errors with HTTP 200 and an `{error}` body:
 *
 *   GET  /login/oauth/authorize           → 302 to redirect_uri with code+state (or error=access_denied)
 *   POST /login/oauth/access_token        → JSON token, or 200 {error: bad_verification_code | incorrect_client_credentials | redirect_uri_mismatch}
 *   GET  /api/v3/user                     → the user, or 401 Bad credentials
 *   GET  /api/v3/user/orgs                → orgs (private memberships only with read:org)
 *   GET  /api/v3/orgs/:org/members/:login → 204 member, 404 not, 302 when the requester is not a member
 *
 * The API lives under /api/v3 as on GitHub Enterprise Server, so tests also
 * check that `apiUrl` paths are joined correctly.
 */
import http from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'

export interface GithubTestUser {
  login: string
  id: number
  name?: string
  /** Organisation logins with public membership. */
  publicOrgs?: string[]
  /** Organisation logins with private membership (visible only with read:org). */
  privateOrgs?: string[]
}

export interface GithubServer {
  /** Use as both githubUrl (OAuth) and, with /api/v3, apiUrl. */
  origin: string
  apiUrl: string
  clientId: string
  clientSecret: string
  /** Who is "logged in to GitHub" in the browser: the next authorize redirects as this user. */
  loginAs(login: string): void
  /** The next authorize is refused by the user (error=access_denied). */
  denyNext(): void
  /** Scope requested on the last authorize. */
  lastScope: string | undefined
  /** Requests seen, `METHOD path`. */
  requests: string[]
  close(): Promise<void>
}

interface CodeGrant {
  login: string
  redirectUri: string
  scope: string
  challenge: string | null
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(body))
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startGithubServer(users: GithubTestUser[]): Promise<GithubServer> {
  const byLogin = new Map(users.map((u) => [u.login.toLowerCase(), u]))
  const codes = new Map<string, CodeGrant>()
  const tokens = new Map<string, { login: string; scope: string }>()
  let current: string | undefined
  let deny = false
  const clientId = 'Iv1.testclientid'
  const clientSecret = randomBytes(20).toString('hex')

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => json(res, 500, { message: String(err) }))
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://github.test')
    state.requests.push(`${req.method} ${url.pathname}`)
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirect = new URL(url.searchParams.get('redirect_uri') ?? '')
      const stateParam = url.searchParams.get('state')
      state.lastScope = url.searchParams.get('scope') ?? undefined
      if (url.searchParams.get('client_id') !== clientId) return json(res, 404, { message: 'Not Found' })
      if (deny || current === undefined) {
        deny = false
        redirect.searchParams.set('error', 'access_denied')
        redirect.searchParams.set('error_description', 'The user has denied your application access.')
        redirect.searchParams.set('error_uri', 'https://docs.github.com/apps/troubleshooting-authorization-request-errors/#access-denied')
      } else {
        const code = randomBytes(10).toString('hex')
        const method = url.searchParams.get('code_challenge_method')
        if (method !== null && method !== 'S256') return json(res, 400, { message: 'unsupported code_challenge_method' })
        codes.set(code, { login: current, redirectUri: redirect.href, scope: state.lastScope ?? '', challenge: url.searchParams.get('code_challenge') })
        redirect.searchParams.set('code', code)
      }
      if (stateParam !== null) redirect.searchParams.set('state', stateParam)
      res.writeHead(302, { location: redirect.href })
      return void res.end()
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(await readBody(req))
      // GitHub answers token errors with HTTP 200.
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
        return json(res, 200, { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.', error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials' })
      }
      const code = form.get('code') ?? ''
      const grant = codes.get(code)
      codes.delete(code)
      const verifier = form.get('code_verifier')
      const pkceOk = grant?.challenge == null || (verifier !== null && createHash('sha256').update(verifier).digest('base64url') === grant.challenge)
      if (grant === undefined || !pkceOk) {
        return json(res, 200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code' })
      }
      if (form.get('redirect_uri') !== grant.redirectUri) {
        return json(res, 200, { error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.' })
      }
      const token = `gho_${randomBytes(18).toString('hex')}`
      tokens.set(token, { login: grant.login, scope: grant.scope.replace(/ /g, ',') })
      return json(res, 200, { access_token: token, token_type: 'bearer', scope: grant.scope.replace(/ /g, ',') })
    }
    if (req.method === 'GET' && url.pathname.startsWith('/api/v3/')) {
      const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')
      const session = auth === null ? undefined : tokens.get(auth[1]!)
      const user = session === undefined ? undefined : byLogin.get(session.login.toLowerCase())
      if (session === undefined || user === undefined) return json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' })
      const readOrg = session.scope.split(',').includes('read:org')
      const path = url.pathname.slice('/api/v3'.length)
      if (path === '/user') return json(res, 200, { login: user.login, id: user.id, name: user.name ?? null, email: null })
      if (path === '/user/orgs') {
        const orgs = [...(user.publicOrgs ?? []), ...(readOrg ? user.privateOrgs ?? [] : [])]
        return json(res, 200, orgs.map((login, i) => ({ login, id: 1000 + i })))
      }
      const member = /^\/orgs\/([^/]+)\/members\/([^/]+)$/.exec(path)
      if (member !== null) {
        const org = decodeURIComponent(member[1]!).toLowerCase()
        const target = byLogin.get(decodeURIComponent(member[2]!).toLowerCase())
        const requesterOrgs = [...(user.publicOrgs ?? []), ...(user.privateOrgs ?? [])].map((o) => o.toLowerCase())
        if (!requesterOrgs.includes(org)) {
          res.writeHead(302, { location: `${state.apiUrl}/orgs/${org}/public_members/${member[2]}` })
          return void res.end()
        }
        const isMember = target !== undefined && [...(target.publicOrgs ?? []), ...(target.privateOrgs ?? [])].some((o) => o.toLowerCase() === org)
        res.writeHead(isMember ? 204 : 404)
        return void res.end()
      }
      return json(res, 404, { message: 'Not Found' })
    }
    json(res, 404, { message: 'Not Found' })
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  const state: GithubServer = {
    origin,
    apiUrl: `${origin}/api/v3`,
    clientId,
    clientSecret,
    loginAs(login: string) {
      current = login
    },
    denyNext() {
      deny = true
    },
    lastScope: undefined,
    requests: [],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
  return state
}
