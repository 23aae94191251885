/**
 * The progress of one start, for the spawn page's event stream: every event
 * is kept (a start has a handful), so a subscriber that arrives late sees the
 * whole story, then follows live until the start is ready or has failed.
 */

export interface ProgressEvent {
  progress: number
  message: string
  ready?: boolean
  failed?: boolean
  /** On ready: the server's path ('/user/alice/'). */
  url?: string
  /** On failure: the last lines of the server's log. */
  logTail?: string[]
}

export class ProgressFeed {
  readonly events: ProgressEvent[] = []
  #finished = false
  #wake: (() => void)[] = []

  get finished(): boolean {
    return this.#finished
  }

  push(event: ProgressEvent): void {
    if (this.#finished) return
    const last = this.events.at(-1)
    // Progress never goes backwards on the bar.
    this.events.push({ ...event, progress: Math.max(Math.min(event.progress, 100), last?.progress ?? 0) })
    this.#notify()
  }

  finish(): void {
    this.#finished = true
    this.#notify()
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = []
    for (const fn of wake) fn()
  }

  /** Every event so far, then new ones as they come, ending when the start is over. */
  async *[Symbol.asyncIterator](): AsyncIterator<ProgressEvent> {
    let i = 0
    for (;;) {
      while (i < this.events.length) yield this.events[i++]!
      if (this.#finished) return
      await new Promise<void>((resolve) => this.#wake.push(resolve))
    }
  }
}
