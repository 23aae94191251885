/**
 * Redirect logins (OIDC, GitHub): /hub/oauth_login starts the flow (state,
 * nonce and PKCE verifier kept in a 10-minute signed cookie), the identity
 * provider sends the browser back to /hub/oauth_callback, where the
 * authenticator redeems the code and the login completes like any other.
 */
import type { FastifyInstance } from 'fastify'
import type { HubContext } from '../context.ts'
import { PageError } from './page-error.ts'
import { authRequest, completeLogin, nextOf, origin, readFlowCookie, setFlowCookie } from './login-flow.ts'

export const CALLBACK_PATH = '/hub/oauth_callback'

export async function oauthPages(app: FastifyInstance, opts: { hub: HubContext }): Promise<void> {
  const { hub } = opts
  const notRedirect = (): PageError =>
    new PageError(404, 'NO_REDIRECT_LOGIN', 'This hub does not log in through an identity provider.', 'Use the login page at /hub/login.')

  app.get('/hub/oauth_login', async (req, reply) => {
    const auth = hub.authenticator
    if (auth.kind !== 'redirect' || auth.startLogin === undefined) throw notRedirect()
    const start = await auth.startLogin(authRequest(hub, req), origin(hub, req) + CALLBACK_PATH)
    setFlowCookie(hub, reply, start.flow, nextOf(req))
    return reply.redirect(start.redirectTo, 302)
  })

  app.get(CALLBACK_PATH, async (req, reply) => {
    const auth = hub.authenticator
    if (auth.kind !== 'redirect') throw notRedirect()
    const state = readFlowCookie(hub, req, reply)
    const result = await auth.authenticate(authRequest(hub, req, state === undefined ? {} : { flow: state.flow }))
    if (result === null) {
      throw new PageError(400, 'NOT_A_CALLBACK', 'This address is where the identity provider sends you back after logging in, and this request did not come from it.', 'Start again from the login page.')
    }
    await completeLogin(hub, reply, result, state?.next ?? nextOf(req))
    return reply
  })
}
