/**
 * The GitHub authenticator against a local server that speaks GitHub's OAuth
 * and REST endpoints (test/helpers/github-server.ts). GitHub itself cannot be
 * reached from the test machines, so the real github.com is not exercised
 * here; the stand-in reproduces the behaviour that matters, including token
 * errors reported with HTTP 200.
 */
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import type { Authenticator, AuthRequest, LoginStart } from '../../src/auth/authenticator.ts'
import { LoginRefusedError } from '../../src/auth/authenticator.ts'
import { accessRules, decideLogin } from '../../src/auth/access-rules.ts'
import { githubAuthenticator, type GithubAuthenticatorOptions } from '../../src/auth/authenticators/github.ts'
import { IdentityProviderError } from '../../src/auth/authenticators/oauth-errors.ts'
import { AuthenticatorConfigError } from '../../src/auth/authenticators/authenticator-config-error.ts'
import { startGithubServer, type GithubServer } from '../helpers/github-server.ts'

const CALLBACK = 'http://127.0.0.1:8000/hub/oauth_callback'
const USERS = [
  { login: 'Octocat', id: 1, name: 'The Octocat', publicOrgs: ['GitHub'], privateOrgs: ['jupyter-team'] },
  { login: 'hubber', id: 2, publicOrgs: ['other-org'] },
  { login: 'loner', id: 3 },
]

async function github(t: Test): Promise<GithubServer> {
  const server = await startGithubServer(USERS)
  t.teardown(() => server.close())
  return server
}

function authenticator(server: GithubServer, extra: Partial<GithubAuthenticatorOptions> = {}): ReturnType<typeof githubAuthenticator> {
  return githubAuthenticator({
    clientId: server.clientId,
    clientSecret: server.clientSecret,
    githubUrl: server.origin,
    apiUrl: server.apiUrl,
    allowInsecureHttp: true,
    ...extra,
  })
}

const loginRequest: AuthRequest = { url: new URL('http://127.0.0.1:8000/hub/oauth_login'), method: 'GET', headers: {}, remoteAddress: '127.0.0.1' }

/** startLogin, then "the browser" visits GitHub's authorize URL and is redirected back. */
async function loginAs(server: GithubServer, auth: Authenticator, login: string | null): Promise<{ callback: URL; start: LoginStart }> {
  if (login === null) server.denyNext()
  else server.loginAs(login)
  const start = await auth.startLogin!(loginRequest, CALLBACK)
  const response = await fetch(start.redirectTo, { redirect: 'manual' })
  await response.body?.cancel()
  const location = response.headers.get('location')
  if (response.status !== 302 || location === null) throw new Error(`authorize answered ${response.status}`)
  return { callback: new URL(location), start }
}

function callbackRequest(callback: URL, flow: LoginStart['flow']): AuthRequest {
  return { url: callback, method: 'GET', headers: {}, remoteAddress: '127.0.0.1', flow }
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string; status: number }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code: string; status: number }
  }
  throw new Error('expected a rejection')
}

t.test('a GitHub login gives the login name and the organisations as groups', async (t) => {
  const server = await github(t)
  const auth = authenticator(server)
  t.equal(auth.kind, 'redirect')
  t.equal(auth.label, 'Sign in with GitHub')
  const { callback, start } = await loginAs(server, auth, 'Octocat')
  const authorize = new URL(start.redirectTo)
  t.equal(authorize.origin + authorize.pathname, `${server.origin}/login/oauth/authorize`)
  t.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
  t.equal(authorize.searchParams.get('state'), start.flow.state)
  t.notOk(authorize.searchParams.has('nonce'), 'plain OAuth2: no nonce')
  t.equal(server.lastScope, 'read:user', 'no organisations configured: read:user only')

  const result = await auth.authenticate(callbackRequest(callback, start.flow))
  t.equal(result!.name, 'Octocat', 'the GitHub login, as GitHub spells it (the hub lower-cases)')
  t.same(result!.groups, ['github'], 'a private membership is not visible without read:org')
  const state = result!.authState as Record<string, unknown>
  t.match(state.access_token, /^gho_/)
  t.match(state.github_user, { id: 1, login: 'Octocat', name: 'The Octocat' })
  t.ok(server.requests.includes('GET /api/v3/user'), 'the API is reached under apiUrl')
})

t.test('members of an allowed organisation get in; others are refused by the access rules', async (t) => {
  const server = await github(t)
  const auth = authenticator(server, { allowedOrganizations: ['Jupyter-Team'] })
  t.same(auth.allowedOrganizations, ['jupyter-team'])
  const rules = accessRules({ allowedGroups: [...auth.allowedOrganizations] })

  const octo = await loginAs(server, auth, 'Octocat')
  t.equal(server.lastScope, 'read:user read:org', 'read:org is asked for when organisations are configured')
  const octoResult = await auth.authenticate(callbackRequest(octo.callback, octo.start.flow))
  t.same([...octoResult!.groups!].sort(), ['github', 'jupyter-team'], 'the private membership is seen with read:org')
  t.match(decideLogin(octoResult!, rules), { allowed: true, name: 'octocat' })

  const hubber = await loginAs(server, auth, 'hubber')
  const hubberResult = await auth.authenticate(callbackRequest(hubber.callback, hubber.start.flow))
  t.same(hubberResult!.groups, ['other-org'])
  t.ok(server.requests.includes('GET /api/v3/orgs/jupyter-team/members/hubber'), 'membership of an unlisted allowed organisation is asked directly')
  t.match(decideLogin(hubberResult!, rules), { allowed: false, reason: 'not-allowed' })

  const loner = await loginAs(server, auth, 'loner')
  const lonerResult = await auth.authenticate(callbackRequest(loner.callback, loner.start.flow))
  t.same(lonerResult!.groups, [])
  t.match(decideLogin(lonerResult!, accessRules({ allowedGroups: ['jupyter-team'], allowedUsers: ['loner'] })), { allowed: true }, 'allowed users still get in without an organisation')
})

t.test('an organisation membership only visible through the members endpoint counts', async (t) => {
  const server = await github(t)
  // Without read:org, /user/orgs hides the private membership; the direct check still finds it.
  const auth = authenticator(server, { allowedOrganizations: ['jupyter-team'], scopes: ['read:user'] })
  const { callback, start } = await loginAs(server, auth, 'Octocat')
  const result = await auth.authenticate(callbackRequest(callback, start.flow))
  t.same([...result!.groups!].sort(), ['github', 'jupyter-team'])
  t.ok(server.requests.includes('GET /api/v3/orgs/jupyter-team/members/Octocat'))
})

t.test('a code GitHub rejects with HTTP 200 + error is refused, replay included', async (t) => {
  const server = await github(t)
  const auth = authenticator(server)
  const { callback, start } = await loginAs(server, auth, 'Octocat')
  t.equal((await auth.authenticate(callbackRequest(callback, start.flow)))!.name, 'Octocat')
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.ok(err instanceof LoginRefusedError)
  t.equal(err.code, 'OAUTH_CODE_REJECTED')
  t.equal(err.status, 400)
  t.match(err.message, /bad_verification_code: The code passed is incorrect or expired/)
})

t.test('wrong client credentials (HTTP 200 + error) are reported as a configuration problem', async (t) => {
  const server = await github(t)
  const auth = authenticator(server, { clientSecret: 'not-the-secret' })
  const { callback, start } = await loginAs(server, auth, 'Octocat')
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.ok(err instanceof IdentityProviderError)
  t.equal(err.code, 'IDP_CLIENT_REJECTED')
  t.equal(err.status, 502)
  t.match(err.message, /incorrect_client_credentials/)
  t.match(err.message, /check authenticator.clientId and authenticator.clientSecret/)
})

t.test('a wrong PKCE verifier is refused', async (t) => {
  const server = await github(t)
  const auth = authenticator(server)
  const { callback, start } = await loginAs(server, auth, 'Octocat')
  const err = await rejection(auth.authenticate(callbackRequest(callback, { ...start.flow, codeVerifier: 'x'.repeat(43) })))
  t.equal(err.code, 'OAUTH_CODE_REJECTED')
})

t.test('the user denying access at GitHub becomes a 403 that says so', async (t) => {
  const server = await github(t)
  const auth = authenticator(server)
  const { callback, start } = await loginAs(server, auth, null)
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.ok(err instanceof LoginRefusedError)
  t.equal(err.code, 'OAUTH_ACCESS_DENIED')
  t.equal(err.status, 403)
  t.match(err.message, /access_denied: The user has denied your application access/)
})

t.test('a callback with another login\'s state is refused before GitHub is asked', async (t) => {
  const server = await github(t)
  const auth = authenticator(server)
  const { callback } = await loginAs(server, auth, 'Octocat')
  const other = await auth.startLogin!(loginRequest, CALLBACK)
  const before = server.requests.length
  const err = await rejection(auth.authenticate(callbackRequest(callback, other.flow)))
  t.equal(err.code, 'OAUTH_STATE_MISMATCH')
  t.equal(err.status, 400)
  t.equal(server.requests.length, before, 'no token request was made')
  t.equal(await auth.authenticate({ ...loginRequest, flow: other.flow }), null, 'not a callback: null')
})

t.test('GitHub unreachable gives a 503 naming the URL option', async (t) => {
  const server = await startGithubServer(USERS)
  const auth = authenticator(server)
  const { callback, start } = await loginAs(server, auth, 'Octocat')
  await server.close()
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.ok(err instanceof IdentityProviderError)
  t.equal(err.code, 'IDP_UNREACHABLE')
  t.equal(err.status, 503)
  t.match(err.message, `could not reach GitHub (${server.origin}) (ECONNREFUSED) — check authenticator.githubUrl`)
})

t.test('an API error is reported with the status and the endpoint', async (t) => {
  const server = await github(t)
  const auth = authenticator(server, { apiUrl: `${server.origin}/wrong-api` })
  const { callback, start } = await loginAs(server, auth, 'Octocat')
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.equal(err.code, 'GITHUB_API_ERROR')
  t.equal(err.status, 502)
  t.match(err.message, /GET \/wrong-api\/user with HTTP 404/)
})

t.test('bad options are refused at start-up, naming the option', async (t) => {
  const base = { clientId: 'id', clientSecret: 'secret' }
  const cases: Array<[Partial<GithubAuthenticatorOptions>, string, RegExp]> = [
    [{ clientId: '' }, 'authenticator.clientId', /is required/],
    [{ clientSecret: '' }, 'authenticator.clientSecret', /is required/],
    [{ githubUrl: 'http://ghe.example.org' }, 'authenticator.githubUrl', /allowInsecureHttp/],
    [{ apiUrl: 'nope' }, 'authenticator.apiUrl', /is not a URL/],
    [{ apiUrl: 'ftp://x', allowInsecureHttp: true }, 'authenticator.apiUrl', /https:\/\//],
    [{ allowedOrganizations: ['my-org/team'] }, 'authenticator.allowedOrganizations', /teams are not supported/],
  ]
  for (const [extra, option, message] of cases) {
    try {
      githubAuthenticator({ ...base, ...extra })
      t.fail(`expected ${option} to be refused`)
    } catch (err) {
      t.ok(err instanceof AuthenticatorConfigError, option)
      t.equal((err as AuthenticatorConfigError).option, option)
      t.match((err as Error).message, message)
    }
  }
  const defaults = githubAuthenticator(base)
  const start = await defaults.startLogin!(loginRequest, CALLBACK)
  t.match(start.redirectTo, /^https:\/\/github\.com\/login\/oauth\/authorize\?/, 'github.com by default (not contacted here)')
})

t.test('the GitHub example builds an authenticator whose organisations are allowed groups', async (t) => {
  const config = JSON.parse(readFileSync(new URL('../../examples/github.json', import.meta.url), 'utf8')) as { authenticator: { kind: string } & GithubAuthenticatorOptions; allowedGroups: string[] }
  const { kind, ...options } = config.authenticator
  t.equal(kind, 'github')
  const auth = githubAuthenticator(options)
  for (const org of auth.allowedOrganizations) t.ok(config.allowedGroups.includes(org), `${org} is an allowed group`)
})
