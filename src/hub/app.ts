/**
 * The hub's web app: fastify with the pages as plugins and the REST API under
 * /hub/api. Built with a `serverFactory` by the server (src/server/hub-process.ts),
 * which sends only /hub/… here — proxied traffic never passes through fastify.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerFactory } from 'fastify'
import type { HubContext } from './context.ts'
import { installErrorPages } from './pages/error-page.ts'
import { loginPages } from './pages/login.ts'
import { oauthPages } from './pages/oauth.ts'
import { logoutPages } from './pages/logout.ts'
import { homePages } from './pages/home.ts'
import { signupPages } from './pages/signup.ts'
import { passwordPages } from './pages/password.ts'
import { tokenPages } from './pages/tokens.ts'
import { adminPages } from './pages/admin.ts'
import { logoPage } from './pages/logo.ts'

/** Form posts are small; anything bigger is not one of our forms. */
const FORM_BODY_LIMIT = 64 * 1024

export interface HubAppOptions {
  serverFactory?: FastifyServerFactory
  /** Registers the REST API plugin (src/hub/api) under /hub/api. */
  api?: (app: FastifyInstance, opts: { hub: HubContext }) => Promise<void>
}

export async function buildHubApp(hub: HubContext, options: HubAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: hub.log.child({ part: 'hub' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    ...(options.serverFactory === undefined ? {} : { serverFactory: options.serverFactory }),
  })

  // urlencoded forms → a plain object of strings (first value wins for repeated fields).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => {
    const form: Record<string, string> = Object.create(null) as Record<string, string>
    for (const [key, value] of new URLSearchParams(body as string)) if (!(key in form)) form[key] = value
    done(null, form)
  })

  installErrorPages(app, hub)
  await app.register(loginPages, { hub })
  await app.register(oauthPages, { hub })
  await app.register(logoutPages, { hub })
  await app.register(homePages, { hub })
  await app.register(signupPages, { hub })
  await app.register(passwordPages, { hub })
  await app.register(tokenPages, { hub })
  await app.register(adminPages, { hub })
  await app.register(logoPage)
  if (options.api !== undefined) await app.register(options.api, { hub, prefix: '/hub/api' })
  return app
}
