/**
 * undici's Agent class, loaded on its own. `import { Agent } from 'undici'`
 * loads the whole package (fetch, WebSocket, EventSource, caches, mocks):
 * measured at start-up, +27 MiB RSS for the package against +14 MiB for the
 * Agent and what it needs — memory the proxy then holds for its lifetime,
 * next to the 10,000 idle WebSockets it is budgeted for.
 *
 * undici 8 has no "exports" map, so the file is reachable; it is the same
 * module instance the package index uses, so `instanceof` agrees with it.
 */
import { createRequire } from 'node:module'
import type { Agent as UndiciAgent } from 'undici'

const require = createRequire(import.meta.url)

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent

// What undici's index does when loaded: give every dispatcher request(),
// stream(), pipeline() … (the error pages call agent.request()). Harmless
// when the index is loaded too: the same functions are assigned again.
const Dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object }
Object.assign(Dispatcher.prototype, require('undici/lib/api/index.js') as object)

export type Agent = UndiciAgent
