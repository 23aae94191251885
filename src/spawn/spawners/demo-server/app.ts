/**
 * The demo server's HTTP and WebSocket handling: everything lives under the
 * base URL, and every request must carry the server's token
 * (`Authorization: token …`, which monohub's proxy injects) — so another user
 * on the machine who finds the port gets 403.
 */
import { timingSafeEqual, createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'
import type { WebSocketServer } from 'ws'
import { renderPage, type DemoReason, type PageFile } from './page.ts'

export interface DemoSettings {
  user: string
  serverName: string
  baseUrl: string
  workDir: string
  /**
   * The folder to list (default workDir). main.ts lists '.': a server run as
   * another account may not be able to search the folders above its work
   * dir — the hub entered it for it — but can always read it by the relative path.
   */
  filesDir?: string
  /** Accepted tokens (MONOHUB_SERVER_TOKEN, JUPYTERHUB_API_TOKEN). */
  tokens: string[]
  /** Why the hub runs the demo (shown on the page). */
  reason?: DemoReason
}

const MAX_FILES = 200

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function tokenFrom(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim())
  return match?.[1]
}

async function listFiles(dir: string): Promise<{ files: PageFile[]; truncated: boolean }> {
  const files: PageFile[] = []
  let truncated = false
  try {
    const handle = await fs.opendir(dir)
    for await (const entry of handle) {
      if (files.length >= MAX_FILES) {
        truncated = true
        break
      }
      const size = entry.isFile() ? (await fs.stat(path.join(dir, entry.name)).catch(() => ({ size: 0 }))).size : 0
      files.push({ name: entry.name, dir: entry.isDirectory(), size })
    }
  } catch {
    // An unreadable folder shows as empty; the page still works.
  }
  files.sort((a, b) => a.name.localeCompare(b.name))
  return { files, truncated }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-monohub-demo': '1' })
  res.end(body)
}

export function createDemoServer(settings: DemoSettings): http.Server {
  const accepted = settings.tokens.map(digest)
  const started = new Date()
  const authorized = (req: http.IncomingMessage): boolean => {
    const token = tokenFrom(req.headers.authorization)
    if (token === undefined) return false
    const d = digest(token)
    return accepted.some((a) => timingSafeEqual(a, d))
  }
  const base = settings.baseUrl
  // ws is loaded on the first WebSocket, not at start: importing it is about
  // a quarter of the demo server's start-up (measured 25 of ~90 ms), and a
  // hub starting 200 servers at once pays that 200 times.
  let wss: WebSocketServer | undefined
  let loading: Promise<WebSocketServer> | undefined
  const echoServer = (): Promise<WebSocketServer> => {
    loading ??= import('ws').then(({ WebSocketServer }) => {
      const echo = new WebSocketServer({ noServer: true })
      echo.on('connection', (socket) => {
        socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
      })
      wss = echo
      return echo
    })
    return loading
  }

  const server = http.createServer((req, res) => {
    if (!authorized(req)) {
      send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: this is a monohub user server; open it through the hub.\n')
      return
    }
    const pathname = new URL(req.url ?? '/', 'http://x').pathname
    if (pathname === base.slice(0, -1)) {
      res.writeHead(302, { location: base })
      res.end()
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n')
      return
    }
    if (pathname === base) {
      void listFiles(settings.filesDir ?? settings.workDir).then(({ files, truncated }) => {
        send(res, 200, 'text/html; charset=utf-8', renderPage({ ...settings, files, truncated }))
      })
      return
    }
    if (pathname === `${base}api`) {
      send(res, 200, 'application/json', JSON.stringify({
        server: 'monohub-demo',
        user: settings.user,
        server_name: settings.serverName,
        base_url: base,
        pid: process.pid,
        started: started.toISOString(),
        websocket_clients: wss?.clients.size ?? 0,
      }))
      return
    }
    send(res, 404, 'text/plain; charset=utf-8', `Not found: ${pathname}\n`)
  })

  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname
    if (!authorized(req) || pathname !== `${base}ws`) {
      socket.end(`HTTP/1.1 ${authorized(req) ? '404 Not Found' : '403 Forbidden'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
      return
    }
    void echoServer().then(
      (echo) => echo.handleUpgrade(req, socket, head, (ws) => echo.emit('connection', ws, req)),
      () => socket.destroy(),
    )
  })
  server.on('close', () => wss?.close())
  return server
}
