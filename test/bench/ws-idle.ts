/**
 * Many WebSockets through a proxy: held open and idle (what a hub with many
 * open notebooks looks like), or opened and closed in a stream (churn).
 */
import type WebSocket from 'ws'
import { openSocket } from './ws-echo.ts'

export interface OpenedSockets {
  sockets: WebSocket[]
  failed: number
  firstError: string | undefined
  ms: number
}

/** Opens up to `count` sockets, at most `concurrency` handshakes at a time, starting no new one after `budgetMs`. */
export async function openMany(url: string, count: number, concurrency: number, budgetMs: number): Promise<OpenedSockets> {
  const deadline = Date.now() + budgetMs
  const sockets: WebSocket[] = []
  let failed = 0
  let firstError: string | undefined
  let next = 0
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      next++
      try {
        sockets.push(await openSocket(url))
      } catch (error) {
        failed++
        firstError ??= (error as Error).message
        // A proxy out of file descriptors fails every open; stop early rather than wait out 10 s timeouts.
        if (failed > 100 && failed > sockets.length) return
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { sockets, failed, firstError, ms: performance.now() - started }
}

/** Sends one message on each of the sockets and counts the echoes that come back in time. */
export async function countEchoes(sockets: readonly WebSocket[], timeoutMs = 5_000): Promise<number> {
  const answers = await Promise.all(sockets.map((socket) => new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    socket.once('message', () => {
      clearTimeout(timer)
      resolve(true)
    })
    socket.send('still there?')
  })))
  return answers.filter(Boolean).length
}

/** Closes the sockets with a close handshake; terminates any not closed within `timeoutMs`. */
export async function closeAll(sockets: readonly WebSocket[], timeoutMs = 10_000): Promise<void> {
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => {
    if (socket.readyState === socket.CLOSED) return resolve()
    const timer = setTimeout(() => {
      socket.terminate()
      resolve()
    }, timeoutMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.close()
  })))
}

/** Opens and closes up to `count` sockets, `concurrency` at a time, within `budgetMs`; counts attempts and failures. */
export async function churn(url: string, count: number, concurrency: number, budgetMs: number): Promise<{ done: number; failed: number; ms: number }> {
  const deadline = Date.now() + budgetMs
  let failed = 0
  let next = 0
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadline) {
      next++
      try {
        const socket = await openSocket(url)
        await closeAll([socket], 5_000)
      } catch {
        failed++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { done: next, failed, ms: performance.now() - started }
}
