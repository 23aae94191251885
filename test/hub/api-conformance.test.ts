/**
 * Every /hub/api endpoint, found from the API plugin's own route
 * registrations (so a new endpoint without an entry below fails here),
 * checked for JupyterHub's conventions:
 *   - no credentials → 403 (JupyterHub answers 403, not 401, on its API;
 *     jupyterhub-singleuser treats other 4xx as fatal);
 *   - a token without the needed scope → 403 naming the scope;
 *   - a method the path does not have → 405 with `Allow`;
 *   - an unknown path → 404;
 *   - every error is JSON `{"status": N, "message": "…"}` with a JSON content type.
 * Exceptions, as in JupyterHub: GET /hub/api/ is open; the OAuth endpoints
 * speak OAuth (authorize is a browser page → login redirect; token answers
 * RFC 6749's `{"error": …}`).
 */
import t, { type Test } from 'tap'
import Fastify from 'fastify'
import { apiPlugin } from '../../src/hub/api/index.ts'
import { startHub } from '../helpers/hub.ts'
import { addToken, addUser } from '../helpers/hub-context.ts'

const NO_SCOPES_TOKEN = 'conformance-no-scopes-0123456789'

/**
 * What each endpoint needs: 'open' (nobody), 'identity' (any caller), a
 * scope (checked with a token lacking it), or 'oauth' (OAuth's own rules).
 * `body` is a valid body, so a refusal is about access, not the request.
 */
const EXPECT: Record<string, { needs: string; body?: unknown; listsOwn?: boolean }> = {
  'GET /hub/api': { needs: 'open' },
  'GET /hub/api/user': { needs: 'identity' },
  // A user's token lists that user (read:users on themself), as in JupyterHub: no "other user" check.
  'GET /hub/api/users': { needs: 'list:users', listsOwn: true },
  'POST /hub/api/users': { needs: 'admin:users', body: { usernames: ['newbie'] } },
  'GET /hub/api/users/:name': { needs: 'read:users' },
  'POST /hub/api/users/:name': { needs: 'admin:users' },
  'PATCH /hub/api/users/:name': { needs: 'admin:users', body: { admin: true } },
  'DELETE /hub/api/users/:name': { needs: 'delete:users' },
  'POST /hub/api/users/:name/server': { needs: 'servers' },
  'DELETE /hub/api/users/:name/server': { needs: 'delete:servers' },
  'POST /hub/api/users/:name/servers/:server': { needs: 'servers' },
  'DELETE /hub/api/users/:name/servers/:server': { needs: 'delete:servers' },
  'GET /hub/api/users/:name/server/progress': { needs: 'read:servers' },
  'GET /hub/api/users/:name/servers/:server/progress': { needs: 'read:servers' },
  'GET /hub/api/users/:name/tokens': { needs: 'read:tokens' },
  'POST /hub/api/users/:name/tokens': { needs: 'tokens', body: { note: 'x' } },
  'GET /hub/api/users/:name/tokens/:id': { needs: 'read:tokens' },
  'DELETE /hub/api/users/:name/tokens/:id': { needs: 'tokens' },
  'POST /hub/api/users/:name/activity': { needs: 'users:activity', body: { last_activity: new Date().toISOString() } },
  'GET /hub/api/groups': { needs: 'list:groups' },
  'POST /hub/api/groups': { needs: 'admin:groups', body: { groups: ['other'] } },
  'GET /hub/api/groups/:name': { needs: 'read:groups' },
  'POST /hub/api/groups/:name': { needs: 'admin:groups' },
  'DELETE /hub/api/groups/:name': { needs: 'delete:groups' },
  'POST /hub/api/groups/:name/users': { needs: 'groups', body: { users: ['alice'] } },
  'DELETE /hub/api/groups/:name/users': { needs: 'groups', body: { users: ['alice'] } },
  'PUT /hub/api/groups/:name/properties': { needs: 'groups', body: { a: 1 } },
  'GET /hub/api/services': { needs: 'list:services' },
  'GET /hub/api/services/:name': { needs: 'read:services' },
  'GET /hub/api/oauth2/authorize': { needs: 'oauth' },
  'POST /hub/api/oauth2/authorize': { needs: 'oauth' },
  'POST /hub/api/oauth2/token': { needs: 'oauth' },
}

interface Registered { method: string; url: string; refused: boolean }

/** The API's routes as it registers them: real handlers, and the 405 handlers of known paths. */
async function registeredRoutes(hub: Parameters<typeof apiPlugin>[1]['hub']): Promise<Registered[]> {
  const app = Fastify()
  const out: Registered[] = []
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) if (method !== 'HEAD') out.push({ method, url: route.url, refused: Array.isArray(route.method) })
  })
  await app.register(apiPlugin, { hub, prefix: '/hub/api' })
  await app.ready()
  await app.close()
  return out
}

function concrete(url: string, tokenId: string): string {
  return url
    .replace(':name/servers/:server', 'alice/servers/lab')
    .replace(/^\/hub\/api\/groups\/:name/, '/hub/api/groups/physics')
    .replace(/^\/hub\/api\/services\/:name/, '/hub/api/services/dash')
    .replace(':name', 'alice')
    .replace(':id', tokenId)
}

async function request(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(url, {
    method,
    redirect: 'manual',
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  })
  const text = await response.text()
  let json: any
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

function isErrorShape(t: Test, answer: Awaited<ReturnType<typeof request>>, status: number, what: string): void {
  t.equal(answer.status, status, `${what} → ${status}`)
  t.match(answer.headers.get('content-type'), /^application\/json/, `${what}: JSON content type`)
  t.same(Object.keys(answer.json ?? {}).sort(), ['message', 'status'], `${what}: {status, message} (${answer.text.slice(0, 120)})`)
  t.equal(answer.json?.status, status, `${what}: status in the body`)
  t.ok(typeof answer.json?.message === 'string' && answer.json.message.length > 10, `${what}: a message`)
}

t.test('every /hub/api endpoint follows JupyterHub\'s conventions for credentials, scopes, methods and errors', async (t) => {
  const h = await startHub(t, { config: { services: [{ name: 'dash', url: 'http://127.0.0.1:9', apiToken: NO_SCOPES_TOKEN }] } })
  await addUser(h.hub, 'alice', { groups: ['physics'] })
  await addUser(h.hub, 'bob')
  await h.hub.store.commit({ op: 'group.put', group: { name: 'physics', properties: {}, created: h.hub.now() } })
  const { id: aliceTokenId } = await addToken(h.hub, 'alice')
  const { token: bobToken } = await addToken(h.hub, 'bob')
  const api = (path: string) => `${h.url}${path}`

  const routes = await registeredRoutes(h.hub)
  const handled = routes.filter((r) => !r.refused)
  t.ok(handled.length >= 30, `${handled.length} endpoints registered`)
  const missing = handled.map((r) => `${r.method} ${r.url}`).filter((k) => !Object.hasOwn(EXPECT, k))
  t.same(missing, [], 'every registered endpoint has an entry here')
  const stale = Object.keys(EXPECT).filter((k) => !handled.some((r) => `${r.method} ${r.url}` === k))
  t.same(stale, [], 'and every entry here is a registered endpoint')

  for (const route of handled) {
    const key = `${route.method} ${route.url}`
    const expect = EXPECT[key]
    if (expect === undefined) continue
    const url = api(concrete(route.url, aliceTokenId))
    const what = `${route.method} ${concrete(route.url, aliceTokenId)}`

    const anonymous = await request(url, route.method, {}, expect.body)
    if (expect.needs === 'open') {
      t.equal(anonymous.status, 200, `${what}: open`)
      continue
    }
    if (expect.needs === 'oauth') {
      t.not(anonymous.status, 200, `${what}: refused without credentials (OAuth rules)`)
      continue
    }
    isErrorShape(t, anonymous, 403, `${what} without credentials`)
    const badToken = await request(url, route.method, { authorization: 'token not-a-real-token-0000000000' }, expect.body)
    isErrorShape(t, badToken, 403, `${what} with an unknown token`)
    if (expect.needs === 'identity') continue

    const unscoped = await request(url, route.method, { authorization: `token ${NO_SCOPES_TOKEN}` }, expect.body)
    isErrorShape(t, unscoped, 403, `${what} with a token lacking ${expect.needs}`)
    t.match(unscoped.json?.message, /scope/, `${what}: the message names the missing scope`)
    if (expect.listsOwn === true) continue
    const otherUser = await request(url, route.method, { authorization: `token ${bobToken}` }, expect.body)
    isErrorShape(t, otherUser, 403, `${what} with another user's token`)
  }

  for (const route of routes.filter((r) => r.refused)) {
    const what = `${route.method} ${concrete(route.url, aliceTokenId)}`
    const answer = await request(api(concrete(route.url, aliceTokenId)), route.method, { authorization: `token ${bobToken}` })
    isErrorShape(t, answer, 405, what)
    t.match(answer.headers.get('allow'), /^[A-Z, ]+$/, `${what}: Allow header`)
  }

  for (const [method, path] of [['GET', '/hub/api/nope'], ['DELETE', '/hub/api/users/alice/nope'], ['GET', '/hub/api/users/alice/servers'], ['POST', '/hub/api/proxy'], ['GET', '/hub/api/roles']] as const) {
    isErrorShape(t, await request(api(path), method, { authorization: `token ${bobToken}` }), 404, `${method} ${path} (unknown)`)
    isErrorShape(t, await request(api(path), method, {}), 404, `${method} ${path} (unknown, anonymous)`)
  }

  // Bodies: broken JSON and schema errors are 400 in the same shape.
  const { token: admin } = await addToken(h.hub, 'admin')
  const broken = await fetch(api('/hub/api/users'), { method: 'POST', headers: { authorization: `token ${admin}`, 'content-type': 'application/json' }, body: '{' })
  isErrorShape(t, { status: broken.status, headers: broken.headers, text: '', json: await broken.json() }, 400, 'POST /hub/api/users with broken JSON')
  isErrorShape(t, await request(api('/hub/api/users'), 'POST', { authorization: `token ${admin}` }, { usernames: [{}] }), 400, 'POST /hub/api/users with a schema error')
  isErrorShape(t, await request(api('/hub/api/users/nobody'), 'GET', { authorization: `token ${admin}` }), 404, 'GET /hub/api/users/nobody')
  isErrorShape(t, await request(api('/hub/api/groups/nothing'), 'GET', { authorization: `token ${admin}` }), 404, 'GET /hub/api/groups/nothing')
  isErrorShape(t, await request(api('/hub/api/services/nothing'), 'GET', { authorization: `token ${admin}` }), 404, 'GET /hub/api/services/nothing')
})

t.test('the OAuth endpoints refuse without credentials in OAuth\'s ways', async (t) => {
  const h = await startHub(t)
  const authorize = await request(`${h.url}/hub/api/oauth2/authorize?client_id=jupyterhub-user-alice&redirect_uri=%2Fuser%2Falice%2Foauth_callback&response_type=code`, 'GET', { accept: 'text/html' })
  t.ok(authorize.status >= 400 && authorize.status < 500, `authorize for an unknown client → ${authorize.status} (its page; test/hub/oauth.test.ts covers the login redirect)`)
  const token = await fetch(`${h.url}/hub/api/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code&code=x&client_id=jupyterhub-user-alice&client_secret=y&redirect_uri=%2Fuser%2Falice%2Foauth_callback' })
  t.ok(token.status === 400 || token.status === 401, `token → ${token.status}`)
  t.match(token.headers.get('content-type'), /^application\/json/)
  t.match(await token.json(), { error: String })
})
