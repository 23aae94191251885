/**
 * CHP's listener flags on a real `monohub proxy` child: --redirect-port
 * (plain http → https), --api-ssl-key/--api-ssl-cert (the REST API over
 * https) and --keep-alive-timeout (idle connections closed, on the client
 * side and toward targets).
 */
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMonohubProxy, freePort } from '../helpers/monohub-proxy.ts'

const openssl = '/usr/bin/openssl'
const noOpenssl = existsSync(openssl) ? false : `${openssl} not found`

async function selfSigned(t: Test): Promise<{ key: string; cert: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'monohub-tls-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' })
  return { key, cert }
}

/** One raw HTTP/1.1 request (so the Host header is exactly what we say); resolves with the status line and headers. */
function rawGet(port: number, path: string, host: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\n${host === undefined ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`)
    })
    let text = ''
    socket.setEncoding('latin1').on('data', (c: string) => (text += c)).on('end', () => resolve(text)).on('error', reject)
  })
}

t.test('--redirect-port sends plain http to https on the same host and path; a bad or missing Host is 400', { skip: noOpenssl }, async (t) => {
  const { key, cert } = await selfSigned(t)
  const redirectPort = await freePort()
  const proxy = await startMonohubProxy(t, { https: true, args: ['--ssl-key', key, '--ssl-cert', cert, '--redirect-port', String(redirectPort)] })
  const answer = await rawGet(redirectPort, '/user/alice/tree?x=1', `localhost:${redirectPort}`)
  t.match(answer, /^HTTP\/1\.1 301 /)
  t.match(answer, new RegExp(`\\r\\nlocation: https://localhost:${proxy.port}/user/alice/tree\\?x=1\\r\\n`, 'i'), 'same host and path, the https port')
  t.match(await rawGet(redirectPort, '/', `[::1]:${redirectPort}`), new RegExp(`location: https://\\[::1\\]:${proxy.port}/\\r\\n`, 'i'), 'IPv6 literal kept in brackets')
  const noHost = await rawGet(redirectPort, '/', undefined)
  // HTTP/1.1 without Host is itself malformed: Node answers 400 before our handler, either way 400.
  t.match(noHost, /^HTTP\/1\.1 400 /)
  const bad = await rawGet(redirectPort, '/', 'evil.example/path')
  t.match(bad, /^HTTP\/1\.1 400 /)
  t.match(bad, /the Host header is not a host name/)
  t.notMatch(bad, /location:/i, 'nothing echoed into a Location')
})

t.test('--redirect-to picks the https port the redirect names', { skip: noOpenssl }, async (t) => {
  const { key, cert } = await selfSigned(t)
  const redirectPort = await freePort()
  await startMonohubProxy(t, { https: true, args: ['--ssl-key', key, '--ssl-cert', cert, '--redirect-port', String(redirectPort), '--redirect-to', '443'] })
  t.match(await rawGet(redirectPort, '/hub/', 'hub.example.org'), /location: https:\/\/hub\.example\.org\/hub\/\r\n/i, 'port 443 is left out of the URL')
})

t.test('--api-ssl-key/--api-ssl-cert: the REST API answers over https only', { skip: noOpenssl }, async (t) => {
  const { key, cert } = await selfSigned(t)
  const proxy = await startMonohubProxy(t, { apiHttps: true, args: ['--api-ssl-key', key, '--api-ssl-cert', cert] })
  t.match(proxy.apiUrl, /^https:/)
  t.match(proxy.stdout() + proxy.stderr(), new RegExp(`https://127\\.0\\.0\\.1:${proxy.apiPort}`), 'the start-up log names the https API address')
  const ca = await readFile(cert)
  const get = (path: string, token: string | undefined): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    https.get(`${proxy.apiUrl}${path}`, { ca, headers: token === undefined ? {} : { authorization: `token ${token}` } }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
  })
  const routes = await get('/api/routes', proxy.token)
  t.equal(routes.status, 200)
  t.same(JSON.parse(routes.body), {})
  t.equal((await get('/api/routes', 'wrong')).status, 403, 'the token is still checked')
  const plain = await fetch(`http://127.0.0.1:${proxy.apiPort}/api/routes`).then((r) => r.status, () => 'refused')
  t.not(plain, 200, 'plain http to the API port gets no routes')
})

t.test('--keep-alive-timeout closes idle client connections and idle connections to targets', async (t) => {
  // A target that counts the connections it is given.
  let targetConnections = 0
  const target = http.createServer((_req, res) => res.end('ok'))
  target.keepAliveTimeout = 60_000
  target.on('connection', () => targetConnections++)
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { target.closeAllConnections(); target.close(() => resolve()) }))
  const targetUrl = `http://127.0.0.1:${(target.address() as net.AddressInfo).port}`

  const proxy = await startMonohubProxy(t, { args: ['--keep-alive-timeout', '1000', '--default-target', targetUrl] })
  // A raw keep-alive client: Node's own Agent would close first (it honours the
  // announced timeout minus a margin), and the server's closing is what we measure.
  const socket = net.connect(proxy.port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  let received = ''
  socket.setEncoding('latin1').on('data', (c: string) => (received += c))
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())))
  const ask = async (): Promise<string> => {
    received = ''
    socket.write('GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    for (let i = 0; i < 200 && !received.endsWith('ok'); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    return received
  }
  const first = await ask()
  t.match(first, /^HTTP\/1\.1 200 /)
  t.match(first, /\r\nkeep-alive: timeout=1\r\n/i, 'the proxy announces its timeout')
  const answeredAt = Date.now()
  const closedAfter = (await closed) - answeredAt
  t.ok(closedAfter >= 900 && closedAfter < 5000, `the idle client connection was closed by the proxy after ${closedAfter} ms`)
  t.equal(targetConnections, 1)

  // Toward the target: reused within the timeout, a new connection after it.
  const get = (): Promise<void> => fetch(`${proxy.url}/x`).then((r) => r.text()).then(() => undefined)
  await get()
  const afterOne = targetConnections
  await get()
  t.equal(targetConnections, afterOne, 'the target connection is reused while not idle for long')
  await new Promise((resolve) => setTimeout(resolve, 2500))
  await get()
  t.equal(targetConnections, afterOne + 1, 'a new connection to the target after the idle timeout')
})
