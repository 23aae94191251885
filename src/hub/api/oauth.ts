/**
 * The hub as an OAuth2 provider for user servers (REFERENCE §2), so that an
 * unmodified jupyterhub-singleuser logs its users in through the hub:
 *
 *   GET  /hub/api/oauth2/authorize  authorization-code request from a browser:
 *        the client must be registered (a running server) and name exactly its
 *        registered, relative redirect_uri; no hub session → the login page,
 *        coming back here; the owner → straight back with a code; someone else
 *        with access (an admin) → a consent page; anyone else → 403.
 *   POST /hub/api/oauth2/authorize  the consent form (needs _xsrf).
 *   POST /hub/api/oauth2/token      code → access token; the client secret is
 *        the server's API token. Errors in OAuth's JSON shape.
 *
 * A child plugin of the API: it reads urlencoded forms (OAuth's format) as
 * well as JSON, and answers errors as OAuth clients expect.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { HubContext } from '../context.ts'
import type { OAuthClientRecord } from '../../auth/records.ts'
import { pageUser, sessionXsrf, type PageUser } from '../pages/page-session.ts'
import { scopesOfUser } from '../identity.ts'
import { CSRF_FORM_FIELD, sessionBinding, verifyCsrfToken } from '../../auth/csrf.ts'
import { AuthorizationCodes } from '../oauth/codes.ts'
import { OAuthError } from '../oauth/oauth-error.ts'
import { clientAccess, clientServerPath, findClient } from '../oauth/clients.ts'
import { isClientSecret, issueAccessToken } from '../oauth/access-tokens.ts'
import { sendAuthorizeError, sendConsentPage, type AuthorizeParams } from '../oauth/oauth-pages.ts'
import { serverAccessScopes } from '../server-tokens.ts'
import { ApiRoutes } from './api-routes.ts'

/** OAuth requests are a few short fields. */
const OAUTH_BODY_LIMIT = 16 * 1024

type Fields = Readonly<Record<string, string | undefined>>

function fieldsOf(value: unknown): Fields {
  if (typeof value !== 'object' || value === null) return {}
  const out: Record<string, string | undefined> = Object.create(null) as Record<string, string | undefined>
  for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v
  return out
}

/** client_id/client_secret from the form, or from HTTP Basic authentication (RFC 6749 §2.3.1). */
function clientCredentials(req: FastifyRequest, form: Fields): { id: string | undefined; secret: string | undefined } {
  const header = req.headers.authorization
  if (typeof header === 'string' && header.slice(0, 6).toLowerCase() === 'basic ') {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) }
  }
  return { id: form.client_id, secret: form.client_secret }
}

function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value)
  return redirectUri + (redirectUri.includes('?') ? '&' : '?') + query.toString()
}

export async function oauthApiPlugin(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts
  const codes = new AuthorizationCodes()

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: OAUTH_BODY_LIMIT }, (_req, body, done) => {
    const form: Record<string, string> = Object.create(null) as Record<string, string>
    for (const [key, value] of new URLSearchParams(body as string)) if (!(key in form)) form[key] = value
    done(null, form)
  })
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: OAUTH_BODY_LIMIT }, (_req, body, done) => {
    const text = (body as string).trim()
    if (text.length === 0) return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(new OAuthError(400, 'invalid_request', 'the request body is neither a form (application/x-www-form-urlencoded) nor JSON'), undefined)
    }
  })

  app.setErrorHandler((err: FastifyError | OAuthError, req, reply) => {
    if (err instanceof OAuthError) {
      if (err.status === 401) reply.header('www-authenticate', 'Basic realm="monohub"')
      return reply.code(err.status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(err.toJSON())
    }
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as unknown as { status: number }).status : err.statusCode ?? 500
    if (status >= 500) req.log.error({ err }, 'OAuth request failed')
    return reply.code(status).type('application/json; charset=utf-8').send({ status, message: status >= 500 ? 'internal error — see the hub log' : err.message })
  })

  /** The registered client for the request, or an error page (the redirect_uri cannot be trusted yet). */
  function checkedClient(reply: FastifyReply, params: Fields, me: PageUser | null): OAuthClientRecord | undefined {
    const viewer = me === null ? undefined : me.user
    const xsrf = me === null ? undefined : sessionXsrf(hub, me)
    const client = findClient(hub.store.state, params.client_id)
    if (client === undefined) {
      sendAuthorizeError(reply, 400, `No running server is registered as OAuth client '${params.client_id ?? ''}'.`, 'The server may have stopped. Start it again from the home page, then reload it.', viewer, xsrf)
      return undefined
    }
    const redirectUri = params.redirect_uri ?? client.redirectUri
    if (redirectUri !== client.redirectUri) {
      sendAuthorizeError(reply, 400, `The redirect_uri '${redirectUri}' is not the one registered for ${client.id} ('${client.redirectUri}').`, 'This link was not made by the server it claims to come from. Open the server from the home page instead.', viewer, xsrf)
      return undefined
    }
    return client
  }

  /** Sends the browser back to the server with a code (or an OAuth error, once the redirect_uri is known to be the client's). */
  function grant(reply: FastifyReply, client: OAuthClientRecord, params: Fields, me: PageUser): FastifyReply {
    if (params.response_type !== 'code') {
      return reply.redirect(redirectWith(client.redirectUri, { error: 'unsupported_response_type', error_description: 'only response_type=code is supported', state: params.state }), 302)
    }
    const code = codes.issue({ clientId: client.id, user: me.user.name, redirectUri: client.redirectUri, scopes: serverAccessScopes(client.user, client.server) }, hub.now())
    hub.log.info({ client: client.id, user: me.user.name }, 'OAuth code issued')
    return reply.header('cache-control', 'no-store').redirect(redirectWith(client.redirectUri, { code, state: params.state }), 302)
  }

  function refuseAccess(reply: FastifyReply, client: OAuthClientRecord, me: PageUser): FastifyReply {
    hub.log.info({ client: client.id, user: me.user.name }, 'OAuth login refused: no access to the server')
    return sendAuthorizeError(reply, 403, `The server at ${clientServerPath(client)} belongs to '${client.user}', and '${me.user.name}' may not use it.`,
      'Log out and log in as its owner, or ask an administrator for access.', me.user, sessionXsrf(hub, me))
  }

  const routes = new ApiRoutes(app)
  routes.add('/authorize', {
    GET: {
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const params = fieldsOf(req.query)
        const me = pageUser(hub, req, reply)
        const client = checkedClient(reply, params, me)
        if (client === undefined) return reply
        if (me === null) return reply.redirect(`/hub/login?next=${encodeURIComponent(req.url)}`, 302)
        const access = clientAccess(client, me.user, scopesOfUser(hub, me.user))
        if (access === 'owner') return grant(reply, client, params, me)
        if (access === 'forbidden') return refuseAccess(reply, client, me)
        const shown: AuthorizeParams = { client_id: client.id, redirect_uri: client.redirectUri, response_type: params.response_type ?? 'code', state: params.state }
        return sendConsentPage(reply, client, shown, me.user, sessionXsrf(hub, me))
      },
    },
    POST: {
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const form = fieldsOf(req.body)
        const me = pageUser(hub, req, reply)
        if (me === null) return sendAuthorizeError(reply, 403, 'You are not logged in to the hub.', 'Log in, then open the server again.')
        if (!verifyCsrfToken(hub.secrets.csrfKey, sessionBinding(me.session.sid), form[CSRF_FORM_FIELD])) {
          return sendAuthorizeError(reply, 403, 'The form could not be verified (missing or wrong _xsrf token).', 'Go back, reload the page and submit the form again.', me.user, sessionXsrf(hub, me))
        }
        const client = checkedClient(reply, form, me)
        if (client === undefined) return reply
        if (clientAccess(client, me.user, scopesOfUser(hub, me.user)) === 'forbidden') return refuseAccess(reply, client, me)
        return grant(reply, client, form, me)
      },
    },
  })

  routes.add('/token', {
    POST: {
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const form = fieldsOf(req.body)
        const now = hub.now()
        if (form.grant_type !== 'authorization_code') {
          throw new OAuthError(400, form.grant_type === undefined ? 'invalid_request' : 'unsupported_grant_type', `grant_type must be 'authorization_code' (got ${form.grant_type === undefined ? 'none' : `'${form.grant_type}'`})`)
        }
        const credentials = clientCredentials(req, form)
        if (credentials.id === undefined || credentials.secret === undefined) {
          throw new OAuthError(401, 'invalid_client', 'client authentication required: send client_id and client_secret (the server\'s API token) in the form or as HTTP Basic')
        }
        const client = findClient(hub.store.state, credentials.id)
        if (client === undefined || !isClientSecret(hub, client, credentials.secret, now)) {
          throw new OAuthError(401, 'invalid_client', `unknown client '${credentials.id}' or wrong client_secret — a server's client exists only while it runs, and its secret is its JUPYTERHUB_API_TOKEN`)
        }
        if (form.code === undefined || form.code === '') throw new OAuthError(400, 'invalid_request', 'the form has no code')
        const code = codes.redeem(form.code, now)
        if (code === undefined) throw new OAuthError(400, 'invalid_grant', 'the code is unknown, already used or expired (codes are single-use and live 60 seconds) — log in again')
        if (code.clientId !== client.id) throw new OAuthError(400, 'invalid_grant', `the code was issued to another client, not '${client.id}'`)
        if (form.redirect_uri !== code.redirectUri) throw new OAuthError(400, 'invalid_grant', `redirect_uri must be '${code.redirectUri}', as in the authorization request`)
        const users = hub.store.state.users
        const user = Object.hasOwn(users, code.user) ? users[code.user] : undefined
        if (user === undefined || !user.approved || clientAccess(client, user, scopesOfUser(hub, user)) === 'forbidden') {
          throw new OAuthError(403, 'access_denied', `'${code.user}' may no longer use this server`)
        }
        const issued = await issueAccessToken(hub, client, user.name, code.scopes, now)
        hub.log.info({ client: client.id, user: user.name }, 'OAuth access token issued')
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(issued)
      },
    },
  })
}
