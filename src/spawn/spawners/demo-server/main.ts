/**
 * Entry of monohub's built-in demo server (run as `node main.js --ip=… --port=… --base-url=…`
 * by the process spawner). Settings come from the arguments and the
 * environment the spawner gives (JUPYTERHUB_USER, JUPYTERHUB_SERVER_NAME,
 * MONOHUB_SERVER_TOKEN / JUPYTERHUB_API_TOKEN, MONOHUB_DEMO_REASON=root-hub when a
 * root hub chose it). Stops cleanly on SIGTERM.
 */
import { parseArgs } from 'node:util'
import { createDemoServer } from './app.ts'
import { demoNotice, type DemoReason } from './page.ts'

function fail(message: string): never {
  process.stderr.write(`monohub demo server: ${message}\n`)
  process.exit(2)
}

const { values } = parseArgs({
  options: { ip: { type: 'string', default: '127.0.0.1' }, port: { type: 'string' }, 'base-url': { type: 'string', default: '/' } },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port <= 0 || port > 65535) fail(`--port must be a TCP port, got ${values.port ?? 'nothing'}`)
const baseUrl = values['base-url'].endsWith('/') ? values['base-url'] : `${values['base-url']}/`
const tokens = [process.env.MONOHUB_SERVER_TOKEN, process.env.JUPYTERHUB_API_TOKEN].filter((t): t is string => t !== undefined && t !== '')
if (tokens.length === 0) fail('no token in MONOHUB_SERVER_TOKEN or JUPYTERHUB_API_TOKEN — it refuses to serve without one, so nobody else can use its port')

const user = process.env.JUPYTERHUB_USER ?? process.env.USER ?? 'unknown'
const reason: DemoReason = process.env.MONOHUB_DEMO_REASON === 'root-hub' ? 'root-hub' : undefined
const server = createDemoServer({ user, serverName: process.env.JUPYTERHUB_SERVER_NAME ?? '', baseUrl, workDir: process.cwd(), filesDir: '.', tokens, ...(reason === undefined ? {} : { reason }) })
server.on('error', (error) => fail(`cannot listen on ${values.ip}:${port}: ${error.message}`))
server.listen(port, values.ip, () => {
  process.stdout.write(`monohub demo server for ${user} listening on http://${values.ip}:${port}${baseUrl}\n${demoNotice(reason)}\n`)
})
const stop = (): void => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
