/**
 * WebSocket echo load: `clients` sockets each ping-pong one small message at a
 * time through a proxy to the backend's echo server, for a fixed time.
 * Messages/s counts completed round trips; latency is per round trip.
 */
import WebSocket from 'ws'
import { percentile } from './rounds.ts'

export interface WsEchoResult {
  messages: number
  messagesPerSec: number
  p50Ms: number
  p99Ms: number
  errors: number
}

const OPEN_TIMEOUT_MS = 10_000
const DRAIN_TIMEOUT_MS = 2_000

export async function runWsEcho(url: string, clients: number, seconds: number, payloadBytes = 64): Promise<WsEchoResult> {
  const payload = Buffer.alloc(payloadBytes, 'm')
  const sockets = await Promise.all(Array.from({ length: clients }, () => openSocket(url)))
  const latencies: number[] = []
  let errors = 0
  let running = true
  let inFlight = 0
  const started = performance.now()
  for (const socket of sockets) {
    let sentAt = 0
    const send = (): void => {
      sentAt = performance.now()
      inFlight++
      socket.send(payload)
    }
    socket.on('message', () => {
      inFlight--
      latencies.push(performance.now() - sentAt)
      if (running) send()
    })
    socket.on('error', () => errors++)
    send()
  }
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  running = false
  const elapsed = (performance.now() - started) / 1000
  const messages = latencies.length
  const drainDeadline = Date.now() + DRAIN_TIMEOUT_MS
  while (inFlight > 0 && Date.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 10))
  for (const socket of sockets) socket.terminate()
  return {
    messages,
    messagesPerSec: messages / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
  }
}

/** Opens one client socket; rejects on error or after OPEN_TIMEOUT_MS. */
export function openSocket(url: string, timeoutMs = OPEN_TIMEOUT_MS): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false })
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error(`WebSocket ${url} did not open within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('open', () => {
      clearTimeout(timer)
      resolve(socket)
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      socket.terminate()
      reject(error)
    })
  })
}
