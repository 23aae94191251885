/**
 * Users' servers in a real browser: headless Chromium logs in, presses
 * Start, watches the progress bar, lands in the built-in demo server through
 * the proxy, goes home and presses Stop. Screenshots of the home page, the
 * progress page, the demo server and the admin page go to the OS temp dir
 * (paths printed) so a person can look at them.
 *
 * The spawner is the demo server wrapped with a short pause before launch,
 * so the progress page is on screen long enough to be seen and captured.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHub } from '../helpers/hub.ts'
import { processSpawner } from '../../src/spawn/spawners/process.ts'
import type { Spawner } from '../../src/spawn/spawner.ts'

const CHROMIUM = '/usr/bin/chromium'

function slowDemo(pauseMs: number): Spawner {
  const demo = processSpawner({ cmd: 'demo', allowRoot: true, stopGraceMs: 2000 })
  return {
    ...demo,
    async start(ctx, progress) {
      progress({ progress: 5, message: 'Reserving a place for the server' })
      await new Promise((resolve) => setTimeout(resolve, pauseMs))
      return demo.start(ctx, progress)
    },
  }
}

t.test('Chromium: log in, Start, progress, the demo server through the proxy, Stop', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium)` }, async (t) => {
  const { chromium } = await import('playwright-core')
  const h = await startHub(t, { config: { allowRoot: true }, deps: { spawner: slowDemo(1500) } })
  t.teardown(() => h.hub.servers.stopAll())
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1100, height: 720 } })
  const shot = async (name: string): Promise<void> => {
    const file = join(tmpdir(), `monohub-${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    t.comment(`${name} screenshot: ${file}`)
  }

  await page.goto(`${h.url}/hub/login`)
  await page.fill('input[name=username]', 'admin')
  await page.fill('input[name=password]', h.adminPassword!)
  await page.click('button[type=submit]')
  await page.waitForURL(/\/hub\/home$/)
  t.match(await page.textContent('.server-row'), /stopped/)
  await shot('spawn-home')

  await page.click('.server-row button[type=submit]')
  await page.waitForURL(/\/hub\/spawn-pending\/admin/)
  await page.waitForSelector('#spawn-progress progress')
  await page.waitForFunction(() => (document.querySelector('#spawn-progress progress') as HTMLProgressElement).value >= 5)
  t.match(await page.textContent('h1'), 'Starting your server')
  await shot('spawn-progress')

  await page.waitForURL(/\/user\/admin\/$/, { timeout: 20_000 })
  t.equal(h.hub.servers.status('admin')?.ready, true, 'the server is ready')
  const body = (await page.textContent('body')) ?? ''
  t.match(body, /demo/i, 'the demo server page, through the proxy')
  await shot('spawn-demo-server')

  await page.goto(`${h.url}/hub/admin`)
  t.match(await page.textContent('table'), /running/)
  // Sorting is plain links in the column headings (no JavaScript needed).
  await page.click('th a.sort:has-text("Server")')
  await page.waitForURL(/\/hub\/admin\?sort=state$/)
  t.match(await page.textContent('th[aria-sort="descending"]'), /Server ▼/, 'sorted by server state, running first')
  await shot('spawn-admin')

  await page.goto(`${h.url}/hub/home`)
  t.match(await page.textContent('.server-row'), /running/)
  await page.click('.server-row button.danger')
  await page.waitForURL(/\/hub\/home$/)
  t.match(await page.textContent('.server-row'), /stopped/)
  t.equal(h.hub.servers.status('admin'), undefined, 'Stop stopped it')
})
