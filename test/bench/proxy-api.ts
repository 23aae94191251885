/**
 * A client for the configurable-http-proxy REST API, which monohub proxy and
 * CHP both serve: keep-alive connections (undici Pool), `Authorization: token`.
 */
import { Pool } from 'undici'

export interface RouteList {
  /** Time from sending the request to the last byte of the body. */
  ms: number
  bytes: number
  count: number
}

export class ProxyApi {
  readonly url: string
  #token: string
  #pool: Pool

  constructor(url: string, token: string, connections = 16) {
    this.url = url
    this.#token = token
    this.#pool = new Pool(url, { connections, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 120_000 })
  }

  /** POST /api/routes/<path>; returns the HTTP status (201 expected). */
  async addRoute(path: string, data: Record<string, unknown>): Promise<number> {
    const { statusCode, body } = await this.#pool.request({
      method: 'POST',
      path: '/api/routes' + path,
      headers: { authorization: `token ${this.#token}`, 'content-type': 'application/json' },
      body: JSON.stringify(data),
    })
    await body.dump()
    return statusCode
  }

  /** GET /api/routes, timed to the last byte; counts the routes returned. */
  async listRoutes(): Promise<RouteList> {
    const started = performance.now()
    const { statusCode, body } = await this.#pool.request({
      method: 'GET',
      path: '/api/routes',
      headers: { authorization: `token ${this.#token}` },
    })
    const text = await body.text()
    const ms = performance.now() - started
    if (statusCode !== 200) throw new Error(`GET ${this.url}/api/routes answered ${statusCode}: ${text.slice(0, 200)}`)
    return { ms, bytes: Buffer.byteLength(text), count: Object.keys(JSON.parse(text) as object).length }
  }

  /** True once the API answers an authenticated GET /api/routes with 200. */
  async isReady(): Promise<boolean> {
    const { statusCode, body } = await this.#pool.request({
      method: 'GET',
      path: '/api/routes',
      headers: { authorization: `token ${this.#token}` },
      headersTimeout: 2_000,
    })
    await body.dump()
    return statusCode === 200
  }

  async close(): Promise<void> {
    await this.#pool.destroy()
  }
}
