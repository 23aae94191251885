/**
 * Names a server is known by: its route path, its key in the servers store,
 * its log file. User names arrive validated; they are re-checked here because
 * these strings become paths and command arguments.
 */
import path from 'node:path'
import { normalizeUserName, userNameProblem } from '../auth/user-name.ts'
import { ServerRequestError } from './errors.ts'

const SERVER_NAME = /^[\p{Ll}\p{Lo}\p{Nd}][\p{Ll}\p{Lo}\p{Nd}._-]{0,62}$/u

/** Throws ServerRequestError unless `user` is a valid, already normalised user name. */
export function checkUserName(user: string): void {
  const problem = normalizeUserName(user) === user ? userNameProblem(user) : `user name '${user}' is not normalised`
  if (problem !== null) throw new ServerRequestError('BAD_USER_NAME', `${problem} — cannot start or stop a server for it`)
}

/**
 * Throws ServerRequestError unless `name` is '' (the default server) or a
 * valid server name: lower-case letters, digits and . _ - , at most 63
 * characters, starting with a letter or digit.
 */
export function checkServerName(name: string): void {
  if (name === '' || SERVER_NAME.test(name)) return
  throw new ServerRequestError(
    'BAD_SERVER_NAME',
    `server name ${JSON.stringify(name)} is not allowed — use lower-case letters, digits and . _ - (at most 63 characters, starting with a letter or digit)`,
  )
}

/** '/user/alice/' or '/user/alice/lab/' — the route key JupyterHub uses (names are URL-safe here except @ and +, which paths allow). */
export function serverBaseUrl(user: string, server: string): string {
  return server === '' ? `/user/${user}/` : `/user/${user}/${server}/`
}

/** The key of a server in the servers store and in-memory maps. */
export function serverKey(user: string, server: string): string {
  return `${user}/${server}`
}

/** '<dataDir>/logs/<user>/<server or _default>.log' ('_' cannot start a server name, so no clash). */
export function serverLogFile(dataDir: string, user: string, server: string): string {
  return path.join(dataDir, 'logs', user, `${server === '' ? '_default' : server}.log`)
}

/** Fills '{data_dir}' and '{user}' in a working-directory template. */
export function expandWorkDir(template: string, dataDir: string, user: string): string {
  return path.resolve(template.replaceAll('{data_dir}', dataDir).replaceAll('{user}', user))
}
