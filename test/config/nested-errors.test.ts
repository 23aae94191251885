/**
 * Errors inside nested settings (authenticator, spawner) say what is wrong
 * with the value: a wrong type is not reported as a missing key.
 */
import t from 'tap'
import { loadHubConfig } from '../../src/config/hub-config.ts'

async function errorOf(env: Record<string, string>): Promise<string> {
  try {
    await loadHubConfig({ flags: {}, env, cwd: process.cwd() })
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('config was accepted')
}

t.test('a wrong type in the authenticator is named as such, a missing key as missing', async (t) => {
  t.match(await errorOf({ MONOHUB_AUTHENTICATOR: JSON.stringify({ kind: 'oidc', issuer: 5, clientId: 'x' }) }), /authenticator\.issuer must be a string/)
  t.match(await errorOf({ MONOHUB_AUTHENTICATOR: JSON.stringify({ kind: 'oidc', clientId: 'x' }) }), /authenticator\.issuer is required/)
})

t.test('a script spawner command that is neither a line nor a list says what it must be', async (t) => {
  const message = await errorOf({ MONOHUB_SPAWNER: JSON.stringify({ kind: 'script', start: 5, poll: 'p', stop: 's' }) })
  t.match(message, /spawner\.start must be a command line or a list of arguments/)
})

t.test('nested keys are named as they are spelled in the file (camelCase), top-level keys as their flag', async (t) => {
  const message = await errorOf({ MONOHUB_AUTHENTICATOR: JSON.stringify({ kind: 'oidc', issuer: 'https://id.example.org' }), MONOHUB_MIN_PASSWORD_LENGTH: 'x' })
  t.match(message, /authenticator\.clientId is required/)
  t.notMatch(message, /client-id/)
  t.match(message, /min-password-length /)
})
