/**
 * The upstream every contestant forwards to, run as its own process so its CPU
 * and memory are not mixed with the runner's or a proxy's.
 *
 *   node test/bench/backend.ts            → prints {"port":N} on stdout, then serves
 *
 * - any path ending in /big → 1 MiB body (one preallocated buffer)
 * - any other path          → "ok"
 * - WebSocket upgrade on any path → echo every message back
 *
 * Paths are matched by suffix because proxies prepend route prefixes
 * ("/user/bench/small" reaches the backend unchanged).
 */
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'

const BIG = Buffer.alloc(1_048_576, 'x')
const SMALL = Buffer.from('ok')

const server = createServer((req, res) => {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const body = path.endsWith('/big') ? BIG : SMALL
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
  res.end(body)
})
server.keepAliveTimeout = 60_000

const wss = new WebSocketServer({ server, perMessageDeflate: false })
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
  socket.on('error', () => socket.terminate())
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  process.stdout.write(JSON.stringify({ port }) + '\n')
})

// The runner owns this process: when its stdin-less parent goes away we are
// killed by it; SIGTERM is the polite version.
process.on('SIGTERM', () => process.exit(0))
