/**
 * The environment a user server gets from the hub (REFERENCE §2), minus
 * JUPYTERHUB_SERVICE_URL, which the spawner adds once it knows the address.
 * The hub provides it through ServerManagerOptions.serverEnv (it owns the API
 * token); `jupyterhubEnv` builds the standard variables from its parts.
 */

export interface ServerEnvRequest {
  user: string
  serverName: string
  /** '/user/<name>/' or '/user/<name>/<server>/' */
  baseUrl: string
}

export type ServerEnvProvider = (request: ServerEnvRequest) => Promise<Record<string, string>> | Record<string, string>

export interface HubEndpoints {
  /** e.g. 'http://127.0.0.1:8000/hub/api' (what the server calls; loopback). */
  apiUrl: string
  /** The hub's public base URL path (usually '/'). */
  baseUrl?: string
  /** Set only with subdomains. */
  host?: string
}

/** The standard JUPYTERHUB_* variables for a server with API token `apiToken`. */
export function jupyterhubEnv(request: ServerEnvRequest, hub: HubEndpoints, apiToken: string): Record<string, string> {
  const { user, serverName, baseUrl } = request
  const scopes = JSON.stringify([`access:servers!server=${user}/${serverName}`, `access:servers!user=${user}`])
  return {
    JUPYTERHUB_API_TOKEN: apiToken,
    JPY_API_TOKEN: apiToken,
    JUPYTERHUB_API_URL: hub.apiUrl,
    JUPYTERHUB_ACTIVITY_URL: `${hub.apiUrl}/users/${user}/activity`,
    JUPYTERHUB_BASE_URL: hub.baseUrl ?? '/',
    JUPYTERHUB_CLIENT_ID: serverName === '' ? `jupyterhub-user-${user}` : `jupyterhub-user-${user}-${serverName}`,
    JUPYTERHUB_HOST: hub.host ?? '',
    JUPYTERHUB_OAUTH_CALLBACK_URL: `${baseUrl}oauth_callback`,
    JUPYTERHUB_OAUTH_ACCESS_SCOPES: scopes,
    JUPYTERHUB_OAUTH_SCOPES: scopes,
    JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
    JUPYTERHUB_SERVER_NAME: serverName,
    JUPYTERHUB_SERVICE_PREFIX: baseUrl,
    JUPYTERHUB_USER: user,
  }
}

/** Without a hub (tests, a bare lifecycle): who and where, no API. */
export const minimalServerEnv: ServerEnvProvider = ({ user, serverName, baseUrl }) => ({
  JUPYTERHUB_USER: user,
  JUPYTERHUB_SERVER_NAME: serverName,
  JUPYTERHUB_SERVICE_PREFIX: baseUrl,
  JUPYTERHUB_BASE_URL: '/',
})
