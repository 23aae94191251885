/**
 * CHP's --client-ssl-* as JupyterHub passes them with internal_ssl: targets
 * are https servers that demand a client certificate signed by the internal
 * CA. monohub presents it on proxied HTTP requests AND on WebSocket upgrades
 * (a notebook's kernel channels), and checks the target against the CA.
 */
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { WebSocket, WebSocketServer } from 'ws'
import { startMonohubProxy } from '../helpers/monohub-proxy.ts'

const openssl = '/usr/bin/openssl'

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
async function makePki(t: { teardown(fn: () => unknown): void }): Promise<Record<'dir' | 'ca' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert', string>> {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-pki-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const f = (name: string) => join(dir, name)
  const run = (args: string[]) => execFileSync(openssl, args, { stdio: 'ignore' })
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=internal-ca'])
  for (const who of ['server', 'client']) {
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who}`])
    await writeFile(f(`${who}.ext`), 'subjectAltName=IP:127.0.0.1\n')
    run(['x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.crt`), '-days', '1', '-extfile', f(`${who}.ext`)])
  }
  return { dir, ca: f('ca.crt'), serverKey: f('server.key'), serverCert: f('server.crt'), clientKey: f('client.key'), clientCert: f('client.crt') }
}

t.test('--client-ssl-* present the client certificate to an https target, for HTTP and for WebSockets', { skip: existsSync(openssl) ? false : `${openssl} not found` }, async (t) => {
  const pki = await makePki(t)
  const target = https.createServer({ key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert), ca: readFileSync(pki.ca), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    res.end(`http from ${(req.socket as TLSSocket).getPeerCertificate().subject.CN}`)
  })
  new WebSocketServer({ server: target }).on('connection', (ws, req) => {
    ws.on('message', (m) => ws.send(`${String(m)} from ${(req.socket as TLSSocket).getPeerCertificate().subject.CN}`))
  })
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => target.close(resolve)))
  const targetUrl = `https://127.0.0.1:${(target.address() as AddressInfo).port}`

  const withCert = await startMonohubProxy(t, {
    args: ['--client-ssl-key', pki.clientKey, '--client-ssl-cert', pki.clientCert, '--client-ssl-ca', pki.ca, '--client-ssl-request-cert', '--client-ssl-reject-unauthorized'],
  })
  t.equal((await withCert.api('/api/routes/user/a', { method: 'POST', body: JSON.stringify({ target: targetUrl }) })).status, 201)
  const page = await fetch(`${withCert.url}/user/a/tree`)
  t.equal(page.status, 200)
  t.equal(await page.text(), 'http from client', 'HTTP carries the client certificate')
  t.notMatch(withCert.stdout() + withCert.stderr(), /do not present them/, 'no warning that WebSockets lack it')

  const ws = new WebSocket(`${withCert.url.replace('http', 'ws')}/user/a/api/kernels/k/channels`)
  t.teardown(() => ws.terminate())
  const echoed = await new Promise<string>((resolve, reject) => {
    ws.on('open', () => ws.send('hello'))
    ws.on('message', (m) => resolve(String(m)))
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)))
    ws.on('error', reject)
  })
  t.equal(echoed, 'hello from client', 'the WebSocket upgrade carries the client certificate too')

  // Without the client certificate the same target refuses: the test can fail.
  const without = await startMonohubProxy(t, { args: ['--client-ssl-ca', pki.ca] })
  await without.api('/api/routes/user/a', { method: 'POST', body: JSON.stringify({ target: targetUrl }) })
  t.equal((await fetch(`${without.url}/user/a/tree`)).status, 503)
  const refused = new WebSocket(`${without.url.replace('http', 'ws')}/user/a/api/kernels/k/channels`)
  t.teardown(() => refused.terminate())
  const status = await new Promise<number | string>((resolve) => {
    refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    refused.on('open', () => resolve('open'))
    refused.on('error', (err) => resolve(err.message))
  })
  t.equal(status, 503)
})
