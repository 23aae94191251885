/**
 * The login page in a real browser: headless Chromium logs in as admin
 * through the form and lands on the home page. Screenshots of both pages go
 * to the OS temp dir (paths printed) so a person can look at them.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHub } from '../helpers/hub.ts'

const CHROMIUM = '/usr/bin/chromium'

t.test('Chromium logs in as admin through the real login form', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)` }, async (t) => {
  const { chromium } = await import('playwright-core')
  const h = await startHub(t)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } })
  await page.goto(`${h.url}/hub/home`)
  t.match(page.url(), /\/hub\/login\?next=%2Fhub%2Fhome$/, 'sent to the login page')
  const loginShot = join(tmpdir(), 'monohub-login.png')
  await page.screenshot({ path: loginShot, fullPage: true })
  t.comment(`login page screenshot: ${loginShot}`)

  await page.fill('input[name=username]', 'admin')
  await page.fill('input[name=password]', 'wrong password')
  await page.click('button[type=submit]')
  t.match(await page.textContent('.notice.error'), 'Wrong user name or password')

  await page.fill('input[name=password]', h.adminPassword!)
  await page.click('button[type=submit]')
  await page.waitForURL(/\/hub\/home$/)
  t.match(await page.textContent('h1'), 'Hello, admin')
  const homeShot = join(tmpdir(), 'monohub-home.png')
  await page.screenshot({ path: homeShot, fullPage: true })
  t.comment(`home page screenshot: ${homeShot}`)

  await page.goto(`${h.url}/hub/token`)
  await page.fill('input[name=note]', 'from chromium')
  await page.click('form[action="/hub/token"] button[type=submit]')
  t.match(await page.textContent('#new-token'), /^mh_/)
  const tokenShot = join(tmpdir(), 'monohub-token.png')
  await page.screenshot({ path: tokenShot, fullPage: true })
  t.comment(`token page screenshot: ${tokenShot}`)

  await page.click('header form button')
  t.match(await page.textContent('h1'), 'Logged out')
})
