/**
 * Where a user server on this machine listens and what it is told, the same
 * for every spawner that runs it here (process, system-user, systemd): a free
 * port on 127.0.0.1, a random per-server token for apps that do not speak
 * JupyterHub's OAuth (the proxy injects it; the user never sees it), and the
 * environment — the hub's (REFERENCE §2), the account's own variables, then
 * the admin's `env`, which wins.
 */
import { randomBytes } from 'node:crypto'
import type { SpawnContext } from '../spawner.ts'
import type { Placeholders, ResolvedCommand } from './command.ts'
import { freePort } from './free-port.ts'

export interface ServerAccount {
  username: string
  home: string
  shell: string
}

export interface ServerAddress {
  ip: string
  port: number
  /** Undefined for jupyterhub-singleuser, which authenticates through the hub's OAuth. */
  token: string | undefined
  env: Record<string, string>
  /** The values of the command's placeholders ({port}, {base_url}, {user}, {server}, {ip}, {token}). */
  placeholders: Placeholders
}

export async function serverAddress(ctx: SpawnContext, command: ResolvedCommand, account: ServerAccount, env: { path: string; inherited?: Record<string, string>; admin?: Record<string, string> }): Promise<ServerAddress> {
  const ip = '127.0.0.1'
  const port = await freePort(ip)
  const token = command.kind === 'jupyterhub' ? undefined : randomBytes(32).toString('base64url')
  return {
    ip,
    port,
    token,
    env: {
      ...ctx.env,
      JUPYTERHUB_SERVICE_URL: `http://${ip}:${port}${ctx.baseUrl}`,
      USER: account.username,
      LOGNAME: account.username,
      HOME: account.home,
      SHELL: account.shell,
      PATH: env.path,
      ...env.inherited,
      ...(token === undefined ? {} : { MONOHUB_SERVER_TOKEN: token, ...(command.kind === 'jupyter' ? { JUPYTER_TOKEN: token } : {}) }),
      ...env.admin,
    },
    placeholders: { port: String(port), base_url: ctx.baseUrl, user: ctx.user, server: ctx.serverName, ip, token: token ?? '' },
  }
}
