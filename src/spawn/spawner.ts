/**
 * The Spawner seam: how a user's server is started, checked and stopped.
 *
 * A spawner is three methods (as in JupyterHub): `start` returns where the
 * server listens plus an opaque JSON `state` that the lifecycle persists, so
 * `poll` and `stop` work again after a hub restart with nothing but that
 * state. Built-in spawners live in ./spawners, one per file; a deployment may
 * plug in its own object.
 */

/** Plain JSON, so state and options survive the durable store. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** What a spawner knows about the server it is asked to start. */
export interface SpawnContext {
  /** Validated, normalised user name. */
  readonly user: string
  /** '' for the user's default server. */
  readonly serverName: string
  /** The server's URL prefix: '/user/<name>/' or '/user/<name>/<server>/'. */
  readonly baseUrl: string
  /**
   * The environment for the server (REFERENCE §2: JUPYTERHUB_* from the hub)
   * without JUPYTERHUB_SERVICE_URL, which the spawner adds once it knows the
   * address. Spawners add USER/HOME/SHELL/PATH as fits their account.
   */
  readonly env: Readonly<Record<string, string>>
  /** User options, already validated against optionsForm(). */
  readonly options: Readonly<Record<string, Json>>
  /** The server's working directory (the lifecycle's template; a spawner may use its own, e.g. a home). */
  readonly workDir: string
  /** Where the server's stdout and stderr go (hub-owned). */
  readonly logFile: string
  /** Aborted when the start times out or is cancelled by a stop. */
  readonly signal: AbortSignal
}

/** One step of a start, as the spawn page's progress bar shows it. */
export interface Progress {
  /** 0–100. */
  progress: number
  message: string
  ready?: boolean
  failed?: boolean
}

export interface SpawnResult {
  /**
   * Where the server listens, without its base URL (e.g. 'http://127.0.0.1:41234'):
   * the route's target. The server answers at url + baseUrl.
   */
  url: string
  /** Everything poll() and stop() need, also after a hub restart. */
  state: Json
  /**
   * A secret the server requires in `Authorization: token …` (apps that do
   * not speak JupyterHub's OAuth); the proxy injects it into every request.
   */
  token?: string
}

/** A spawner-defined options form (e.g. CPU and memory limits). See options-form.ts. */
export interface OptionsFormSpec {
  fields: OptionsField[]
}

export type OptionsField =
  | { name: string; label: string; type: 'number'; min: number; max: number; step?: number; default: number; unit?: string; help?: string }
  | { name: string; label: string; type: 'select'; choices: { value: string; label: string }[]; default: string; help?: string }

export interface Spawner {
  /** e.g. 'process'; persisted with each server so a restart knows who owns it. */
  readonly name: string
  /** Starts the server; resolves once it has been launched (readiness is the lifecycle's job). */
  start(ctx: SpawnContext, progress: (p: Progress) => void): Promise<SpawnResult>
  /** Whether the server described by `state` still runs. Never throws for a server that is gone. */
  poll(state: Json): Promise<'running' | 'stopped'>
  /** Stops it; resolves once it is gone. Stopping a server that is gone is not an error. */
  stop(state: Json): Promise<void>
  optionsForm?(): OptionsFormSpec
  /** Why a server stopped, when the spawner knows (e.g. 'exited with code 1'); used in error messages. */
  describeExit?(state: Json): string | undefined
}
