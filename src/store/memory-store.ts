/**
 * A Store that keeps state in memory only — for tests and for a proxy run
 * without a data dir. Same contract as the durable store, minus durability.
 */
import type { Store, StoreOptions } from './store.ts'

export function memoryStore<S, Op>(options: Pick<StoreOptions<S, Op>, 'initial' | 'apply'>): Store<S, Op> {
  const state = options.initial()
  return {
    state,
    async commit(op) {
      options.apply(state, op)
    },
    async compact() {},
    async close() {},
  }
}
