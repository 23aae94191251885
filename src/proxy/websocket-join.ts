/**
 * Joining the client socket and the upstream socket of an upgraded WebSocket:
 * bytes copied both ways with backpressure, activity recorded per chunk, a
 * FIN or a close on one side ending the other.
 *
 * Tens of thousands of idle notebooks keep their sockets open for hours, so
 * what each pair holds matters more than elegance: every listener here is a
 * module-level function (no closures per connection), and each socket finds
 * its peer and its connection through two symbol properties. Compared with
 * `a.pipe(b).pipe(a)` plus separate activity listeners this drops ~20
 * closures and their contexts per pair, and one 'data' emit per chunk.
 */
import type { Socket } from 'node:net'

/** What a joined pair reports to: activity per chunk, and the end of the pair. */
export interface JoinedConnection {
  /** Called for every chunk, in either direction. */
  activity(): void
  /** Called once per socket when it has closed. */
  closed(socket: Socket): void
}

const kPeer = Symbol('monohub.peer')
const kConnection = Symbol('monohub.connection')

type JoinedSocket = Socket & { [kPeer]: Socket; [kConnection]: JoinedConnection }

function onData(this: JoinedSocket, chunk: Buffer): void {
  this[kConnection].activity()
  // The peer's buffer is full: stop reading here until it drains.
  if (!this[kPeer].write(chunk)) this.pause()
}

function onDrain(this: JoinedSocket): void {
  this[kPeer].resume()
}

function onEnd(this: JoinedSocket): void {
  // A FIN from one side becomes a FIN to the other (after what is buffered).
  this[kPeer].end()
}

function onClose(this: JoinedSocket): void {
  this[kPeer].end()
  this[kConnection].closed(this)
}

function onError(this: JoinedSocket): void {
  // Reset or vanished: 'close' follows and ends the peer.
  this.destroy()
}

/** The 'error' listener a joined socket gets (callers may drop any other). */
export const socketErrorListener: (this: Socket) => void = onError as (this: Socket) => void

/** The socket options a proxied WebSocket wants: no idle timeout, no Nagle delay, TCP keep-alive. */
export function tuneSocket(socket: Socket): void {
  socket.setTimeout(0)
  socket.setNoDelay(true)
  socket.setKeepAlive(true, 0)
}

function attach(socket: Socket, peer: Socket, connection: JoinedConnection): void {
  const joined = socket as JoinedSocket
  joined[kPeer] = peer
  joined[kConnection] = connection
  socket.on('data', onData)
  socket.on('drain', onDrain)
  socket.on('end', onEnd)
  socket.on('close', onClose)
  socket.on('error', onError)
}

/** Copies bytes between `client` and `upstream` (both open) until either side goes away. */
export function joinSockets(client: Socket, upstream: Socket, connection: JoinedConnection): void {
  attach(client, upstream, connection)
  attach(upstream, client, connection)
}
