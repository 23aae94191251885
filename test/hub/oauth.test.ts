import t from 'tap'
import { makeHubContext, serveApi, addUser, addToken, login, call, type TestHubContext } from '../helpers/hub-context.ts'
import { serverEnvProvider, revokeServerTokens } from '../../src/hub/server-tokens.ts'
import { CODE_LIFETIME_MS } from '../../src/hub/oauth/codes.ts'

const CALLBACK = '/user/alice/oauth_callback'

/** A hub with alice's server "started": its env (token, client) as the ServerManager would get it. */
async function withServer(t: Parameters<typeof makeHubContext>[0]): Promise<TestHubContext & { url: string; env: Record<string, string> }> {
  const ctx = await makeHubContext(t)
  await addUser(ctx.hub, 'alice')
  await addUser(ctx.hub, 'bob')
  await addUser(ctx.hub, 'root', { admin: true })
  const env = await serverEnvProvider(ctx.hub, 'http://127.0.0.1:1/hub/api/')({ user: 'alice', serverName: '', baseUrl: '/user/alice/' })
  const { url } = await serveApi(t, ctx.hub)
  return { ...ctx, url, env }
}

function authorizeUrl(params: Record<string, string>): string {
  return `/oauth2/authorize?${new URLSearchParams({ client_id: 'jupyterhub-user-alice', redirect_uri: CALLBACK, response_type: 'code', ...params })}`
}

async function authorize(url: string, cookie: string | undefined, params: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/hub/api${authorizeUrl(params)}`, { headers: cookie === undefined ? {} : { cookie }, redirect: 'manual' })
}

function form(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  return { body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
}

async function exchange(url: string, fields: Record<string, string>): Promise<{ status: number; json: any }> {
  const r = await fetch(`${url}/hub/api/oauth2/token`, { method: 'POST', ...form(fields) })
  return { status: r.status, json: await r.json() }
}

function codeOf(response: Response): string {
  return new URL(response.headers.get('location') ?? '', 'http://x').searchParams.get('code') ?? ''
}

t.test('the server environment follows REFERENCE §2 and its token has only the server role', async (t) => {
  const { hub, env, url } = await withServer(t)
  t.equal(env.JUPYTERHUB_API_URL, 'http://127.0.0.1:1/hub/api')
  t.equal(env.JUPYTERHUB_ACTIVITY_URL, 'http://127.0.0.1:1/hub/api/users/alice/activity')
  t.equal(env.JUPYTERHUB_CLIENT_ID, 'jupyterhub-user-alice')
  t.equal(env.JUPYTERHUB_OAUTH_CALLBACK_URL, CALLBACK)
  t.same(JSON.parse(env.JUPYTERHUB_OAUTH_ACCESS_SCOPES!), ['access:servers!server=alice/', 'access:servers!user=alice'])
  t.equal(env.JUPYTERHUB_API_TOKEN, env.JPY_API_TOKEN)
  const token = env.JUPYTERHUB_API_TOKEN!
  t.notOk(JSON.stringify(hub.store.state).includes(token), 'only the hash is stored')
  const me = await call(url, 'GET', '/user', { token })
  t.equal(me.status, 200)
  t.equal(me.json.name, 'alice')
  t.ok(me.json.scopes.includes('access:servers!server=alice/'))
  t.ok(me.json.scopes.includes('users:activity!user=alice'))
  t.notOk(me.json.scopes.includes('read:users!user=alice'), 'no more than the server role')
  t.equal((await call(url, 'GET', '/users/bob', { token })).status, 403, 'the server token cannot read other users')
})

t.test('the owner gets a code at once; state comes back unchanged; the code buys one access token', async (t) => {
  const { hub, env, url } = await withServer(t)
  const { cookie } = login(hub, 'alice')
  const state = 'eyJ1dWlkIjoiYWJjIn0 with spaces & symbols=/?'
  const r = await authorize(url, cookie, { state })
  t.equal(r.status, 302)
  const location = new URL(r.headers.get('location') ?? '', 'http://x')
  t.equal(location.pathname, CALLBACK, 'back to the registered, relative callback')
  t.equal(location.searchParams.get('state'), state, 'state unchanged')
  const code = codeOf(r)
  t.ok(code.length >= 32)

  const fields = { client_id: 'jupyterhub-user-alice', client_secret: env.JUPYTERHUB_API_TOKEN!, grant_type: 'authorization_code', code, redirect_uri: CALLBACK }
  const first = await exchange(url, fields)
  t.equal(first.status, 200)
  t.equal(first.json.token_type, 'Bearer')
  t.ok(first.json.expires_in > 0)
  t.equal(first.json.scope, 'access:servers!server=alice/ access:servers!user=alice')
  const me = await call(url, 'GET', '/user', { headers: { authorization: `Bearer ${first.json.access_token}` } })
  t.equal(me.status, 200)
  t.equal(me.json.name, 'alice')
  t.ok(me.json.scopes.includes('access:servers!server=alice/'), 'the singleuser\'s check passes')
  t.notOk(me.json.scopes.includes('tokens!user=alice'), 'nothing beyond the server access')
  t.notOk(JSON.stringify(hub.store.state).includes(first.json.access_token), 'stored hashed')

  const again = await exchange(url, fields)
  t.equal(again.status, 400, 'a code is single-use')
  t.same(Object.keys(again.json).sort(), ['error', 'error_description'])
  t.equal(again.json.error, 'invalid_grant')

  await revokeServerTokens(hub, 'alice', '')
  t.equal((await call(url, 'GET', '/user', { token: first.json.access_token })).status, 403, 'stopping the server revokes its OAuth tokens')
  t.equal((await call(url, 'GET', '/user', { token: env.JUPYTERHUB_API_TOKEN! })).status, 403, 'and its own token')
  t.equal((await authorize(url, cookie)).status, 400, 'and its client')
})

t.test('token endpoint errors: OAuth JSON with 400/401/403', async (t) => {
  const ctx = await withServer(t)
  const { hub, env, url } = ctx
  const { cookie } = login(hub, 'alice')
  const secret = env.JUPYTERHUB_API_TOKEN!
  const base = { client_id: 'jupyterhub-user-alice', client_secret: secret, grant_type: 'authorization_code', redirect_uri: CALLBACK }
  const cases: [string, Record<string, string>, number, string][] = [
    ['no grant_type', { ...base, grant_type: '' }, 400, 'invalid_request'],
    ['password grant', { ...base, grant_type: 'password' }, 400, 'unsupported_grant_type'],
    ['no client secret', { ...base, client_secret: '' }, 401, 'invalid_client'],
    ['wrong client secret', { ...base, client_secret: 'mh_wrong' }, 401, 'invalid_client'],
    ['unknown client', { ...base, client_id: 'jupyterhub-user-bob' }, 401, 'invalid_client'],
    ['no code', { ...base }, 400, 'invalid_request'],
    ['unknown code', { ...base, code: 'nope' }, 400, 'invalid_grant'],
  ]
  for (const [what, fields, status, error] of cases) {
    const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''))
    const r = await exchange(url, clean)
    t.equal(r.status, status, what)
    t.equal(r.json.error, error, `${what}: ${r.json.error_description}`)
  }
  const wrongRedirect = await exchange(url, { ...base, code: codeOf(await authorize(url, cookie)), redirect_uri: '/user/alice/other' })
  t.equal(wrongRedirect.json.error, 'invalid_grant', 'redirect_uri must match the authorization request')
  const late = codeOf(await authorize(url, cookie))
  ctx.advance(CODE_LIFETIME_MS + 1)
  t.equal((await exchange(url, { ...base, code: late })).json.error, 'invalid_grant', 'codes expire after 60 s')
  const basic = await fetch(`${url}/hub/api/oauth2/token`, {
    method: 'POST',
    ...form({ grant_type: 'authorization_code', code: codeOf(await authorize(url, cookie)), redirect_uri: CALLBACK }),
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`jupyterhub-user-alice:${secret}`).toString('base64')}` },
  })
  t.equal(basic.status, 200, 'client credentials as HTTP Basic work too')
  const bobCode = codeOf(await (async () => {
    await addUser(hub, 'carol', { admin: true })
    return authorize(url, login(hub, 'carol').cookie) // admin: consent page, no code
  })())
  t.equal(bobCode, '', 'an admin gets no code without consent')
})

t.test('authorize: unknown client and wrong redirect_uri are error pages; anonymous goes to login; others 403', async (t) => {
  const { hub, url } = await withServer(t)
  const alice = login(hub, 'alice').cookie
  const unknown = await authorize(url, alice, { client_id: 'jupyterhub-user-nobody' })
  t.equal(unknown.status, 400)
  t.match(unknown.headers.get('content-type'), /text\/html/)
  t.notOk(unknown.headers.get('location'))
  for (const bad of ['http://evil.example/user/alice/oauth_callback', '/user/alice/oauth_callback/', '//evil.example/user/alice/oauth_callback', '/user/bob/oauth_callback']) {
    const r = await authorize(url, alice, { redirect_uri: bad })
    t.equal(r.status, 400, `redirect_uri ${bad} refused`)
    t.notOk(r.headers.get('location'), 'never redirected')
  }
  const anonymous = await authorize(url, undefined, { state: 'x' })
  t.equal(anonymous.status, 302)
  const next = new URL(anonymous.headers.get('location') ?? '', 'http://x')
  t.equal(next.pathname, '/hub/login')
  t.equal(next.searchParams.get('next'), `/hub/api${authorizeUrl({ state: 'x' })}`, 'back to authorize after login')
  const bob = await authorize(url, login(hub, 'bob').cookie)
  t.equal(bob.status, 403)
  t.match(await bob.text(), /belongs to &#39;alice&#39;/)
  const wrongType = await authorize(url, alice, { response_type: 'token', state: 's' })
  t.equal(wrongType.status, 302)
  t.equal(new URL(wrongType.headers.get('location') ?? '', 'http://x').searchParams.get('error'), 'unsupported_response_type')
})

t.test('an admin sees a consent page and gets a code only by posting it with _xsrf', async (t) => {
  const { hub, env, url } = await withServer(t)
  const root = login(hub, 'root')
  const page = await authorize(url, root.cookie, { state: 'st' })
  t.equal(page.status, 200)
  const html = await page.text()
  t.match(html, /Open alice's server\?/)
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const fields = { client_id: 'jupyterhub-user-alice', redirect_uri: CALLBACK, response_type: 'code', state: 'st' }
  const post = (extra: Record<string, string>, cookie = root.cookie) => fetch(`${url}/hub/api/oauth2/authorize`, { method: 'POST', redirect: 'manual', ...form({ ...fields, ...extra }), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } })
  t.equal((await post({})).status, 403, 'no _xsrf: refused')
  t.equal((await post({ _xsrf: 'forged' })).status, 403, 'forged _xsrf: refused')
  t.equal((await post({ _xsrf: xsrf }, login(hub, 'bob').cookie)).status, 403, 'another session cannot replay it')
  const ok = await post({ _xsrf: xsrf })
  t.equal(ok.status, 302)
  const location = new URL(ok.headers.get('location') ?? '', 'http://x')
  t.equal(location.searchParams.get('state'), 'st')
  const token = await exchange(url, { client_id: 'jupyterhub-user-alice', client_secret: env.JUPYTERHUB_API_TOKEN!, grant_type: 'authorization_code', code: location.searchParams.get('code') ?? '', redirect_uri: CALLBACK })
  t.equal(token.status, 200)
  const me = await call(url, 'GET', '/user', { token: token.json.access_token })
  t.equal(me.json.name, 'root', 'the token is the admin\'s')
  t.ok(me.json.scopes.includes('access:servers!server=alice/'))
  await revokeServerTokens(hub, 'alice', '')
  t.equal((await call(url, 'GET', '/user', { token: token.json.access_token })).status, 403, 'revoked with alice\'s server')
})

t.test('a user demoted or deleted between code and token gets no token', async (t) => {
  const { hub, env, url } = await withServer(t)
  const root = login(hub, 'root')
  const page = await (await authorize(url, root.cookie)).text()
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(page)?.[1] ?? ''
  const r = await fetch(`${url}/hub/api/oauth2/authorize`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ client_id: 'jupyterhub-user-alice', redirect_uri: CALLBACK, response_type: 'code', _xsrf: xsrf }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: root.cookie } })
  const code = codeOf(r)
  const user = hub.store.state.users.root!
  await hub.store.commit({ op: 'user.put', user: { ...user, admin: false } })
  const token = await exchange(url, { client_id: 'jupyterhub-user-alice', client_secret: env.JUPYTERHUB_API_TOKEN!, grant_type: 'authorization_code', code, redirect_uri: CALLBACK })
  t.equal(token.status, 403)
  t.equal(token.json.error, 'access_denied')
})

t.test('a named server has its own client id and callback', async (t) => {
  const ctx = await makeHubContext(t)
  await addUser(ctx.hub, 'alice')
  const env = await serverEnvProvider(ctx.hub, 'http://127.0.0.1:1/hub/api')({ user: 'alice', serverName: 'gpu', baseUrl: '/user/alice/gpu/' })
  t.equal(env.JUPYTERHUB_CLIENT_ID, 'jupyterhub-user-alice-gpu')
  t.equal(env.JUPYTERHUB_OAUTH_CALLBACK_URL, '/user/alice/gpu/oauth_callback')
  t.equal(env.JUPYTERHUB_SERVER_NAME, 'gpu')
  t.ok(ctx.hub.store.state.oauthClients?.['jupyterhub-user-alice-gpu'])
  const { token } = await addToken(ctx.hub, 'alice')
  void token
  // A restart of the same server replaces its token: the old one stops working.
  const again = await serverEnvProvider(ctx.hub, 'http://127.0.0.1:1/hub/api')({ user: 'alice', serverName: 'gpu', baseUrl: '/user/alice/gpu/' })
  const { url } = await serveApi(t, ctx.hub)
  t.equal((await call(url, 'GET', '/user', { token: env.JUPYTERHUB_API_TOKEN! })).status, 403, 'the previous start\'s token is revoked')
  t.equal((await call(url, 'GET', '/user', { token: again.JUPYTERHUB_API_TOKEN! })).status, 200)
})
