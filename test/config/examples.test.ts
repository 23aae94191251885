/**
 * Every JSON config in examples/ is a valid hub config: a README reader who
 * copies one gets a hub that starts, not a validation error.
 */
import t from 'tap'
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadHubConfig } from '../../src/config/hub-config.ts'

const examples = resolve(import.meta.dirname, '../../examples')

for (const file of readdirSync(examples).filter((name) => name.endsWith('.json'))) {
  t.test(`examples/${file} is a valid hub config`, async (t) => {
    const config = await loadHubConfig({ flags: {}, configFile: join(examples, file), env: {}, cwd: examples })
    t.ok(config.port > 0)
  })
}
