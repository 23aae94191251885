/**
 * A real browser in a real notebook behind monohub: headless Chromium logs in
 * to the hub as alice, opens her jupyterhub-singleuser server (the OAuth
 * round trip happens in the browser), opens a new notebook and takes a
 * screenshot into the OS temp dir (path printed) for a person to look at.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHub, TEST_SCRYPT } from '../helpers/hub.ts'
import { SINGLEUSER } from '../helpers/jupyter.ts'
import { hashPassword } from '../../src/auth/passwords.ts'
import { newUserRecord } from '../../src/auth/records.ts'
import { processSpawner } from '../../src/spawn/spawners/process.ts'

const CHROMIUM = '/usr/bin/chromium'
const missing = [CHROMIUM, SINGLEUSER].filter((file) => !existsSync(file))
const skip = missing.length > 0 ? `needs ${missing.join(' and ')} (apt-get install chromium jupyterhub)` : false

t.test('Chromium logs in and opens a notebook on jupyterhub-singleuser through monohub', { skip, timeout: 180_000 }, async (t) => {
  const { chromium } = await import('playwright-core')
  const h = await startHub(t, { deps: { spawner: processSpawner({ cmd: [SINGLEUSER], allowRoot: true }) } })
  const passwordHash = await hashPassword('alice-password', TEST_SCRYPT)
  await h.hub.store.commit({ op: 'user.put', user: newUserRecord('alice', h.hub.now(), { passwordHash }) })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  try {
    await h.hub.servers.start('alice')
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } })
    await page.goto(`${h.url}/user/alice/tree`)
    t.match(page.url(), /\/hub\/login\?next=%2Fuser%2Falice%2Ftree$/, 'sent to the hub\'s login page first')
    await page.fill('input[name=username]', 'alice')
    await page.fill('input[name=password]', 'alice-password')
    await page.click('button[type=submit]')
    await page.waitForURL(/\/user\/alice\/tree/, { timeout: 60_000 })
    t.pass('after login, the OAuth round trip lands on the tree page')

    // A new notebook through the contents API, with the page's own XSRF cookie.
    const created = await page.evaluate(async () => {
      const xsrf = /(?:^|; )_xsrf=([^;]*)/.exec(document.cookie)?.[1] ?? ''
      const r = await fetch('/user/alice/api/contents', { method: 'POST', headers: { 'content-type': 'application/json', 'x-xsrftoken': decodeURIComponent(xsrf) }, body: JSON.stringify({ type: 'notebook' }) })
      return { status: r.status, path: ((await r.json()) as { path: string }).path }
    })
    t.equal(created.status, 201, 'a notebook is created')
    await page.goto(`${h.url}/user/alice/notebooks/${encodeURIComponent(created.path)}`)
    await page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon', { timeout: 60_000 })
    t.pass('the notebook page is open and its kernel is idle (connected over the WebSocket)')
    await page.click('.CodeMirror')
    await page.keyboard.type('1+1')
    await page.keyboard.press('Shift+Enter')
    await page.waitForSelector('.output_result', { timeout: 30_000 })
    t.match(await page.textContent('.output_result'), '2', 'running 1+1 in the page shows 2')
    const shot = join(tmpdir(), 'monohub-notebook.png')
    await page.screenshot({ path: shot, fullPage: true })
    t.comment(`notebook screenshot: ${shot}`)
  } finally {
    await browser.close()
    await h.hub.servers.stopAll()
  }
})
