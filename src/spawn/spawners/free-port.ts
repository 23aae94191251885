/**
 * Picks a free TCP port on 127.0.0.1 for a new server: the kernel chooses one
 * (listen on port 0, close). Ports handed out recently are remembered for a
 * while so many starts at once never get the same port before their servers
 * bind it.
 */
import net from 'node:net'

const REMEMBER_MS = 60_000
const recent = new Map<number, number>()

function listenOnce(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })
}

export async function freePort(host = '127.0.0.1', now: () => number = Date.now): Promise<number> {
  const t = now()
  for (const [port, at] of recent) if (t - at > REMEMBER_MS) recent.delete(port)
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await listenOnce(host)
    if (!recent.has(port)) {
      recent.set(port, t)
      return port
    }
  }
  throw new Error(`could not find a free port on ${host} that was not handed out in the last minute`)
}
