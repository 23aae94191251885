/**
 * A reference for the 1 MiB case, not a proxy anyone would run: every client
 * connection is piped byte for byte to the backend (no HTTP parsing, no
 * routing, no headers). It shows how fast Node itself moves bytes through a
 * third process on this machine — the ceiling for any Node proxy.
 *
 *   node test/bench/tcp-pipe.ts <backend port>   → prints {"port":N} on stdout, then pipes
 */
import net from 'node:net'

const backendPort = Number(process.argv[2])
if (!Number.isInteger(backendPort) || backendPort <= 0) {
  process.stderr.write('usage: node test/bench/tcp-pipe.ts <backend port>\n')
  process.exit(2)
}

const server = net.createServer((client) => {
  const upstream = net.connect(backendPort, '127.0.0.1')
  client.pipe(upstream)
  upstream.pipe(client)
  client.on('error', () => upstream.destroy())
  upstream.on('error', () => client.destroy())
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  process.stdout.write(JSON.stringify({ port }) + '\n')
})

process.on('SIGTERM', () => process.exit(0))
