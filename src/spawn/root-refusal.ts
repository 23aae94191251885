/**
 * Spawners that will refuse every start because of how the hub is set up
 * (a root hub with the process spawner and a command that runs user code).
 * The pages ask before starting, so a user sees at once that it is the
 * hub's configuration — not their server — that needs fixing.
 */
import type { Spawner } from './spawner.ts'
import type { SpawnerConfigError } from './errors.ts'

const refusals = new WeakMap<Spawner, SpawnerConfigError>()

/** Marks `spawner` as refusing every start with `error` (its own start() still throws it). */
export function refuseEveryStart(spawner: Spawner, error: SpawnerConfigError): void {
  refusals.set(spawner, error)
}

/** The configuration error every start of `spawner` will end in, if any. */
export function startRefusal(spawner: Spawner): SpawnerConfigError | undefined {
  return refusals.get(spawner)
}
