/**
 * The OIDC authenticator against a real OpenID Provider (oidc-provider 9,
 * in-process on 127.0.0.1): discovery, PKCE, state, nonce, the provider's
 * own login and consent forms, the token exchange and userinfo.
 */
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Authenticator, AuthRequest, LoginStart } from '../../src/auth/authenticator.ts'
import { LoginRefusedError } from '../../src/auth/authenticator.ts'
import { accessRules, decideLogin } from '../../src/auth/access-rules.ts'
import { oidcAuthenticator, type OidcAuthenticatorOptions } from '../../src/auth/authenticators/oidc.ts'
import { IdentityProviderError, loginFailure, networkFailure } from '../../src/auth/authenticators/oauth-errors.ts'
import { claimValue, groupsFromClaims, userNameFromClaims } from '../../src/auth/authenticators/oidc-claims.ts'
import { AuthenticatorConfigError } from '../../src/auth/authenticators/authenticator-config-error.ts'
import { loginAtProvider, startTestProvider, type TestProvider } from '../helpers/oidc-provider.ts'

const CALLBACK = 'http://127.0.0.1:8000/hub/oauth_callback'
const ACCOUNTS = [
  { sub: 'alice', preferred_username: 'Alice', email: 'alice@example.org', email_verified: true, groups: ['staff', 'hub-admins'] },
  { sub: 'bob', preferred_username: 'bob', groups: ['students'] },
  { sub: 'gmail-like', email: 'carol@example.org', email_verified: true },
  { sub: 'unverified', email: 'mallory@example.org', email_verified: false },
]

async function provider(t: Test, extra: { claimsInIdToken?: boolean } = {}): Promise<TestProvider> {
  const p = await startTestProvider({ accounts: ACCOUNTS, redirectUris: [CALLBACK], ...extra })
  t.teardown(() => p.close())
  return p
}

function authenticator(p: TestProvider, extra: Partial<OidcAuthenticatorOptions> = {}): Authenticator {
  return oidcAuthenticator({
    issuer: p.issuer,
    clientId: 'monohub',
    clientSecret: 'monohub-test-secret',
    scopes: ['openid', 'profile', 'email', 'groups'],
    groupsClaim: 'groups',
    allowInsecureHttp: true,
    ...extra,
  })
}

const browserRequest: AuthRequest = { url: new URL('http://127.0.0.1:8000/hub/oauth_login'), method: 'GET', headers: {}, remoteAddress: '127.0.0.1' }

function callbackRequest(url: URL, flow: LoginStart['flow'] | undefined): AuthRequest {
  return { url, method: 'GET', headers: {}, remoteAddress: '127.0.0.1', ...(flow === undefined ? {} : { flow }) }
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code: string; status: number }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code: string; status: number }
  }
  throw new Error('expected a rejection')
}

/** startLogin, then the provider's forms as `login`, returning the callback URL and the flow. */
async function loginAs(auth: Authenticator, login: string): Promise<{ callback: URL; start: LoginStart }> {
  const start = await auth.startLogin!(browserRequest, CALLBACK)
  const callback = await loginAtProvider(start.redirectTo, { login, callbackUrl: CALLBACK })
  return { callback, start }
}

t.test('the whole login through a real OpenID Provider gives the name, groups and tokens', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p)
  t.equal(auth.kind, 'redirect')
  t.equal(auth.label, `Sign in with ${new URL(p.issuer).host}`)
  const start = await auth.startLogin!(browserRequest, CALLBACK)
  const authorize = new URL(start.redirectTo)
  t.equal(authorize.origin, p.issuer)
  t.equal(authorize.searchParams.get('code_challenge_method'), 'S256')
  t.equal(authorize.searchParams.get('redirect_uri'), CALLBACK)
  t.equal(authorize.searchParams.get('state'), start.flow.state)
  t.equal(authorize.searchParams.get('nonce'), start.flow.nonce)
  t.equal(authorize.searchParams.get('scope'), 'openid profile email groups')
  t.notOk(authorize.searchParams.has('code_verifier'), 'the verifier itself never leaves the hub in the URL')
  t.equal(start.flow.callbackUrl, CALLBACK)

  const callback = await loginAtProvider(start.redirectTo, { login: 'alice', callbackUrl: CALLBACK })
  t.ok(callback.searchParams.has('code'))
  const result = await auth.authenticate(callbackRequest(callback, start.flow))
  t.ok(result)
  t.equal(result!.name, 'Alice', 'preferred_username, as the provider gives it (the hub normalises)')
  t.same(result!.groups, ['staff', 'hub-admins'])
  const state = result!.authState as Record<string, unknown>
  t.type(state.access_token, 'string')
  t.type(state.refresh_token, 'string')
  t.type(state.id_token, 'string')
  t.ok(typeof state.expires_at === 'number' && state.expires_at > Date.now() / 1000)
  t.equal((state.id_token_claims as Record<string, unknown>).sub, 'alice')
  t.equal((state.userinfo as Record<string, unknown>).preferred_username, 'Alice', 'the claims came from userinfo: the ID token lacks them in the code flow')

  const allowed = decideLogin(result!, accessRules({ allowedGroups: ['staff'], adminGroups: ['hub-admins'] }))
  t.same(allowed, { allowed: true, name: 'alice', admin: true, groups: ['staff', 'hub-admins'] })
  const bob = await loginAs(auth, 'bob')
  const bobResult = await auth.authenticate(callbackRequest(bob.callback, bob.start.flow))
  t.equal(bobResult!.name, 'bob')
  t.match(decideLogin(bobResult!, accessRules({ allowedGroups: ['staff'] })), { allowed: false, reason: 'not-allowed' }, 'a member of no allowed group is refused by the access rules')
})

t.test('claims in the ID token are used without calling userinfo', async (t) => {
  const p = await provider(t, { claimsInIdToken: true })
  const auth = authenticator(p)
  const { callback, start } = await loginAs(auth, 'alice')
  const result = await auth.authenticate(callbackRequest(callback, start.flow))
  t.equal(result!.name, 'Alice')
  t.same(result!.groups, ['staff', 'hub-admins'])
  const state = result!.authState as Record<string, unknown>
  t.equal(state.userinfo, undefined)
  t.equal((state.id_token_claims as Record<string, unknown>).preferred_username, 'Alice')
})

t.test('a callback with another login\'s state is refused', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p)
  const { callback } = await loginAs(auth, 'alice')
  const other = await auth.startLogin!(browserRequest, CALLBACK)
  const err = await rejection(auth.authenticate(callbackRequest(callback, other.flow)))
  t.ok(err instanceof LoginRefusedError)
  t.equal(err.code, 'OAUTH_STATE_MISMATCH')
  t.equal(err.status, 400)
  t.match(err.message, /Start the login again/)
  const tampered = new URL(callback)
  tampered.searchParams.set('state', 'forged')
  const { start } = await loginAs(auth, 'alice')
  t.equal((await rejection(auth.authenticate(callbackRequest(tampered, start.flow)))).code, 'OAUTH_STATE_MISMATCH')
})

t.test('a replayed code is refused', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p)
  const { callback, start } = await loginAs(auth, 'alice')
  t.equal((await auth.authenticate(callbackRequest(callback, start.flow)))!.name, 'Alice')
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.ok(err instanceof LoginRefusedError)
  t.equal(err.code, 'OAUTH_CODE_REJECTED')
  t.equal(err.status, 400)
  t.match(err.message, /invalid_grant/)
  t.match(err.message, /already used or has expired/)
})

t.test('a nonce that does not match the ID token is refused', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p)
  const { callback, start } = await loginAs(auth, 'alice')
  const err = await rejection(auth.authenticate(callbackRequest(callback, { ...start.flow, nonce: 'not-the-nonce' })))
  t.equal(err.code, 'OIDC_NONCE_MISMATCH')
  t.equal(err.status, 400)
})

t.test('access_denied from the provider becomes a 403 that says so', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p)
  const start = await auth.startLogin!(browserRequest, CALLBACK)
  const callback = await loginAtProvider(start.redirectTo, { login: 'alice', callbackUrl: CALLBACK, abort: true })
  t.equal(callback.searchParams.get('error'), 'access_denied')
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.ok(err instanceof LoginRefusedError)
  t.equal(err.code, 'OAUTH_ACCESS_DENIED')
  t.equal(err.status, 403)
  t.match(err.message, /access_denied: End-User aborted interaction/)
})

t.test('a callback without a login in progress, or not a callback at all', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p)
  t.equal(await auth.authenticate(callbackRequest(new URL(CALLBACK), undefined)), null)
  const err = await rejection(auth.authenticate(callbackRequest(new URL(`${CALLBACK}?code=abc&state=xyz`), undefined)))
  t.equal(err.code, 'OAUTH_NO_LOGIN_IN_PROGRESS')
  t.equal(err.status, 400)
})

t.test('the user name falls back to a verified email only when usernameClaim is left at its default', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p)
  const carol = await loginAs(auth, 'gmail-like')
  t.equal((await auth.authenticate(callbackRequest(carol.callback, carol.start.flow)))!.name, 'carol@example.org')
  const mallory = await loginAs(auth, 'unverified')
  const err = await rejection(auth.authenticate(callbackRequest(mallory.callback, mallory.start.flow)))
  t.equal(err.code, 'OIDC_NO_USERNAME')
  t.equal(err.status, 403)
  t.match(err.message, /claim 'preferred_username' is missing \(and there is no verified email/)
  t.match(err.message, /Claims received: .*email_verified/)

  const strict = authenticator(p, { usernameClaim: 'preferred_username' })
  const carol2 = await loginAs(strict, 'gmail-like')
  t.equal((await rejection(strict.authenticate(callbackRequest(carol2.callback, carol2.start.flow)))).code, 'OIDC_NO_USERNAME', 'no fallback from an explicitly configured claim')
  const byEmail = authenticator(p, { usernameClaim: 'email' })
  const alice = await loginAs(byEmail, 'alice')
  t.equal((await byEmail.authenticate(callbackRequest(alice.callback, alice.start.flow)))!.name, 'alice@example.org')
})

t.test('an unreachable issuer gives a 503 naming the issuer and the option to check', async (t) => {
  const closed = http.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  const auth = oidcAuthenticator({ issuer: `http://127.0.0.1:${port}`, clientId: 'monohub', clientSecret: 's', allowInsecureHttp: true })
  const err = await rejection(auth.startLogin!(browserRequest, CALLBACK))
  t.ok(err instanceof IdentityProviderError)
  t.equal(err.code, 'IDP_UNREACHABLE')
  t.equal(err.status, 503)
  t.equal(err.message, `could not reach issuer http://127.0.0.1:${port}/ (ECONNREFUSED) — check authenticator.issuer and that the hub can connect to it`)

  // A failed discovery is not cached: once the issuer is up, the next login works.
  const p = await startTestProvider({ accounts: ACCOUNTS, redirectUris: [CALLBACK] })
  t.teardown(() => p.close())
  const lateServer = http.createServer((req, res) => { res.statusCode = 404; res.end('not here') })
  await new Promise<void>((resolve) => lateServer.listen(port, '127.0.0.1', resolve))
  t.teardown(() => lateServer.close())
  const notFound = await rejection(auth.startLogin!(browserRequest, CALLBACK))
  t.equal(notFound.code, 'IDP_DISCOVERY_FAILED', 'the second attempt reached the server (not a cached failure)')
  t.equal(notFound.status, 502)
  t.match(notFound.message, `issuer http://127.0.0.1:${port}/ did not serve its OpenID configuration at http://127.0.0.1:${port}/.well-known/openid-configuration (HTTP 404)`)
})

t.test('an issuer spelled differently from what the provider calls itself is named in the error', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p, { issuer: p.issuer.replace('127.0.0.1', 'localhost') })
  const err = await rejection(auth.startLogin!(browserRequest, CALLBACK))
  t.equal(err.code, 'IDP_ISSUER_MISMATCH')
  t.equal(err.status, 502)
  t.match(err.message, `set authenticator.issuer to exactly '${p.issuer}'`)
})

t.test('a wrong client secret is reported as a configuration problem', async (t) => {
  const p = await provider(t)
  const auth = authenticator(p, { clientSecret: 'wrong-secret' })
  const { callback, start } = await loginAs(auth, 'alice')
  const err = await rejection(auth.authenticate(callbackRequest(callback, start.flow)))
  t.ok(err instanceof IdentityProviderError)
  t.equal(err.code, 'IDP_CLIENT_REJECTED')
  t.equal(err.status, 502)
  t.match(err.message, /check authenticator.clientId and authenticator.clientSecret/)
})

t.test('client_secret_post and extra authorization parameters', async (t) => {
  const p = await startTestProvider({ accounts: ACCOUNTS, redirectUris: [CALLBACK], tokenEndpointAuthMethod: 'client_secret_post' })
  t.teardown(() => p.close())
  const auth = authenticator(p, { clientAuthMethod: 'client_secret_post', extraAuthorizationParams: { prompt: 'consent', state: 'ignored' }, label: 'Sign in with Example' })
  t.equal(auth.label, 'Sign in with Example')
  const { callback, start } = await loginAs(auth, 'bob')
  t.equal(new URL(start.redirectTo).searchParams.get('prompt'), 'consent')
  t.not(new URL(start.redirectTo).searchParams.get('state'), 'ignored', 'extra parameters cannot override state')
  t.equal((await auth.authenticate(callbackRequest(callback, start.flow)))!.name, 'bob')
})

t.test('bad options are refused at start-up, naming the option', async (t) => {
  const base = { issuer: 'https://id.example.org', clientId: 'monohub', clientSecret: 's' }
  const cases: Array<[Partial<OidcAuthenticatorOptions>, string, RegExp]> = [
    [{ issuer: 'not a url' }, 'authenticator.issuer', /is not a URL/],
    [{ issuer: 'http://id.example.org' }, 'authenticator.issuer', /allowInsecureHttp/],
    [{ issuer: 'ftp://id.example.org', allowInsecureHttp: true }, 'authenticator.issuer', /https:\/\//],
    [{ issuer: 'https://id.example.org/?x=1' }, 'authenticator.issuer', /query or fragment/],
    [{ clientId: '' }, 'authenticator.clientId', /is required/],
    [{ clientSecret: '' }, 'authenticator.clientSecret', /is empty/],
  ]
  for (const [extra, option, message] of cases) {
    try {
      oidcAuthenticator({ ...base, ...extra })
      t.fail(`expected ${option} to be refused`)
    } catch (err) {
      t.ok(err instanceof AuthenticatorConfigError, option)
      t.equal((err as AuthenticatorConfigError).option, option)
      t.match((err as Error).message, message)
    }
  }
  t.doesNotThrow(() => oidcAuthenticator({ ...base, scopes: ['email'] }), 'no network at construction')
})

t.test('the OIDC examples (Google, Entra ID, Keycloak) build authenticators', async (t) => {
  for (const name of ['oidc-google', 'oidc-entra-id', 'oidc-keycloak']) {
    const config = JSON.parse(readFileSync(new URL(`../../examples/${name}.json`, import.meta.url), 'utf8')) as { authenticator: { kind: string } & OidcAuthenticatorOptions }
    t.equal(config.authenticator.kind, 'oidc', name)
    const { kind: _kind, ...options } = config.authenticator
    const auth = oidcAuthenticator(options)
    t.equal(auth.kind, 'redirect', name)
    t.match(auth.label, /^Sign in with /, name)
  }
})

t.test('claims: exact names first, then dotted paths; groups from arrays or a single string', async (t) => {
  const token = { 'https://example.org/groups': ['a'], realm_access: { roles: ['hub-users', 7, ''] }, group: 'solo', nested: { deep: null } }
  t.same(claimValue([token], 'https://example.org/groups'), ['a'], 'a URL-shaped claim name is not split on dots')
  t.same(groupsFromClaims([token], 'realm_access.roles'), ['hub-users'], "Keycloak's nested roles; non-strings and empties dropped")
  t.same(groupsFromClaims([token], 'group'), ['solo'])
  t.same(groupsFromClaims([token], 'nested.deep.x'), [])
  t.same(groupsFromClaims([token], 'missing'), [])
  t.same(groupsFromClaims([{ g: '' }], 'g'), [])
  t.same(groupsFromClaims([{}, { realm_access: { roles: ['from-userinfo'] } }], 'realm_access.roles'), ['from-userinfo'], 'the second source is used when the first lacks the claim')
  t.match(userNameFromClaims([{ preferred_username: 42 }], undefined), { ok: false, message: /claim 'preferred_username' is not a non-empty string \(42\)/ })
  t.match(userNameFromClaims([{ upn: 'a@b' }], 'upn'), { ok: true, name: 'a@b', claim: 'upn' })
})

t.test('provider errors map to refusals (400/403) or provider problems (502/503)', async (t) => {
  const ctx = { label: 'issuer https://id.example/', addressOption: 'authenticator.issuer' }
  const authz = (error: string, description?: string) => Object.assign(new Error('authorization response error'), { code: 'OAUTH_AUTHORIZATION_RESPONSE_ERROR', error, ...(description === undefined ? {} : { error_description: description }) })
  t.match(loginFailure(authz('interaction_required'), ctx), { code: 'OAUTH_ACCESS_DENIED', status: 403 })
  t.match(loginFailure(authz('invalid_scope', 'groups is not allowed'), ctx), { code: 'OAUTH_PROVIDER_ERROR', status: 400, message: /invalid_scope: groups is not allowed/ })
  t.match(loginFailure({ error: 'redirect_uri_mismatch' }, ctx), { code: 'IDP_REDIRECT_URI', status: 502, message: /register the hub's \/hub\/oauth_callback URL/ })
  t.match(loginFailure({ error: 'temporarily_unavailable' }, ctx), { code: 'IDP_ERROR', status: 502 })
  t.match(loginFailure(Object.assign(new Error('x'), { code: 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED' }), ctx), { code: 'IDP_BAD_ID_TOKEN', status: 502, message: /clocks/ })
  t.match(loginFailure(Object.assign(new Error('unexpected "state"', { cause: new Error('state') }), { code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' }), ctx), { code: 'OAUTH_STATE_MISMATCH', status: 400 })
  t.match(loginFailure(Object.assign(new Error('response parameter "iss" missing'), { code: 'OAUTH_INVALID_REQUEST' }), ctx), { code: 'OAUTH_BAD_CALLBACK', status: 400 })
  t.match(loginFailure('weird', ctx), { code: 'IDP_BAD_RESPONSE', status: 502, message: /unexpected answer from issuer https:\/\/id.example\/ \(weird\)/ })
  const timeout = Object.assign(new Error('operation timed out'), { code: 'OAUTH_TIMEOUT' })
  t.equal(networkFailure(timeout), 'timed out')
  t.match(loginFailure(timeout, ctx), { code: 'IDP_UNREACHABLE', status: 503, message: /could not reach issuer https:\/\/id.example\/ \(timed out\)/ })
  t.equal(networkFailure(new TypeError('fetch failed', { cause: new AggregateError([Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })]) })), 'EHOSTUNREACH')
  t.equal(networkFailure(new Error('no')), null)
  const refusal = new LoginRefusedError('X', 'kept as is')
  t.equal(loginFailure(refusal, ctx), refusal)
})
