/**
 * A minimal browser stand-in for tests: a cookie jar over fetch that follows
 * redirects itself, so cookies set on each hop (login, OAuth callback) are kept
 * the way a browser keeps them. Cookies are stored by name only — tests talk to
 * one origin.
 */
export class Browser {
  readonly cookies = new Map<string, string>()
  readonly origin: string

  constructor(origin: string) {
    this.origin = origin
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  #keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';', 1)
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  /** One request, no redirect following. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (this.cookies.size > 0) headers.set('cookie', this.cookieHeader())
    const response = await fetch(new URL(path, this.origin), { ...init, headers, redirect: 'manual' })
    this.#keep(response)
    return response
  }

  /** GET (or the given request) and follow up to `maxHops` redirects, keeping cookies. Returns the last response and the URLs visited. */
  async navigate(path: string, init: RequestInit = {}, maxHops = 10): Promise<{ response: Response; visited: string[] }> {
    const visited: string[] = []
    let url = new URL(path, this.origin).toString()
    let request = init
    for (let hop = 0; hop <= maxHops; hop++) {
      visited.push(url)
      const response = await this.fetch(url, request)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status >= 400 || location === null) return { response, visited }
      await response.body?.cancel()
      url = new URL(location, url).toString()
      request = {}
    }
    throw new Error(`more than ${maxHops} redirects: ${visited.join(' → ')}`)
  }

  /** Submits a form (urlencoded) and follows the redirects. */
  async submit(path: string, fields: Record<string, string>): Promise<{ response: Response; visited: string[] }> {
    return this.navigate(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    })
  }
}
