/**
 * More pages in a real browser: sign-up, the pending-approval notice (after
 * sign-up, and when the unapproved account tries to log in), the admin page
 * with a user waiting for approval, approval, and the 403 page someone gets
 * at another user's server. Screenshots go to the OS temp dir (paths
 * printed) so a person can look at them.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHub } from '../helpers/hub.ts'
import { startEchoBackend } from '../helpers/echo-backend.ts'

const CHROMIUM = '/usr/bin/chromium'

t.test('Chromium: sign-up, pending approval, the admin page and approval', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)` }, async (t) => {
  const { chromium } = await import('playwright-core')
  const h = await startHub(t, { settings: { allowSignup: true } })
  const backend = await startEchoBackend(t, 'admin-server')
  await h.hub.routes.set('/user/admin', { target: backend.url, user: 'admin', server_name: '' })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  t.teardown(() => browser.close())
  const shot = async (page: import('playwright-core').Page, name: string): Promise<void> => {
    const path = join(tmpdir(), `monohub-${name}.png`)
    await page.screenshot({ path, fullPage: true })
    t.comment(`${name} screenshot: ${path}`)
  }

  // A newcomer signs up.
  const newcomer = await (await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage()
  await newcomer.goto(`${h.url}/hub/login`)
  await newcomer.click('a[href="/hub/signup"]')
  await newcomer.waitForURL(/\/hub\/signup$/)
  t.match(await newcomer.textContent('h1'), 'Sign up')
  await shot(newcomer, 'signup')
  await newcomer.fill('input[name=username]', 'Dora')
  await newcomer.fill('input[name=password]', 'dora-password')
  await newcomer.click('button[type=submit]')
  t.match(await newcomer.textContent('h1'), 'Account created')
  t.match(await newcomer.textContent('.card'), /administrator/)
  await shot(newcomer, 'signup-done')

  // Logging in before approval: a page that says the account waits.
  await newcomer.goto(`${h.url}/hub/login`)
  await newcomer.fill('input[name=username]', 'dora')
  await newcomer.fill('input[name=password]', 'dora-password')
  await newcomer.click('button[type=submit]')
  t.match(await newcomer.textContent('.card'), /waiting for an administrator's approval/)
  await shot(newcomer, 'pending')

  // The admin sees the waiting account and approves it.
  const admin = await (await browser.newContext({ viewport: { width: 1100, height: 720 } })).newPage()
  await admin.goto(`${h.url}/hub/login?next=%2Fhub%2Fadmin`)
  await admin.fill('input[name=username]', 'admin')
  await admin.fill('input[name=password]', h.adminPassword!)
  await admin.click('button[type=submit]')
  await admin.waitForURL(/\/hub\/admin$/)
  t.match(await admin.textContent('body'), /dora/)
  await shot(admin, 'admin')
  await admin.click('form[action="/hub/admin/approve"] button')
  await admin.waitForLoadState()
  t.equal(h.hub.store.state.users.dora?.approved, true, 'approved')
  await shot(admin, 'admin-approved')

  // Now the newcomer logs in, and is refused at the admin's server.
  await newcomer.goto(`${h.url}/hub/login`)
  await newcomer.fill('input[name=username]', 'dora')
  await newcomer.fill('input[name=password]', 'dora-password')
  await newcomer.click('button[type=submit]')
  await newcomer.waitForURL(/\/hub\/home$/)
  t.match(await newcomer.textContent('h1'), 'Hello, dora')
  const refused = await newcomer.goto(`${h.url}/user/admin/`)
  t.equal(refused?.status(), 403)
  t.match(await newcomer.textContent('body'), /belongs to 'admin'/)
  await shot(newcomer, 'forbidden-server')
})
