/**
 * Config sources and how they merge: flags > env (MONOHUB_*) > config file >
 * defaults. Each source is a Layer of raw values (strings or JSON values);
 * validation happens once, on the merged result, and every value remembers
 * where it came from so an error can point at the flag, env var or file.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError, keyLabel } from './errors.ts'

export interface Layer {
  values: Record<string, unknown>
  /** Where a key was set, for messages: "--port", "MONOHUB_PORT", "config file ./m.json". */
  describe: (key: string) => string
  /** Folder that relative paths set by this layer are resolved against. */
  baseDir: string
}

export interface Origin {
  raw: unknown
  source: string
}

export interface Merged {
  values: Record<string, unknown>
  origins: Record<string, Origin>
}

/** apiPort → MONOHUB_API_PORT */
export function envName(key: string, prefix = 'MONOHUB_'): string {
  return prefix + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()
}

/** Reads MONOHUB_<KEY> for each known key; empty variables count as unset. */
export function envLayer(env: NodeJS.ProcessEnv, keys: readonly string[], cwd: string): Layer {
  const values: Record<string, unknown> = {}
  for (const key of keys) {
    const value = env[envName(key)]
    if (value !== undefined && value !== '') values[key] = value
  }
  return { values, describe: (key) => `env ${envName(key)}`, baseDir: cwd }
}

/** Values given on the command line (only those the user typed, no commander defaults). */
export function flagLayer(values: Record<string, unknown>, cwd: string, flagOf: (key: string) => string = (k) => `--${keyLabel(k)}`): Layer {
  return { values, describe: flagOf, baseDir: cwd }
}

export function defaultsLayer(values: Record<string, unknown>, cwd: string): Layer {
  return { values, describe: () => 'default', baseDir: cwd }
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]!
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, key.length / 3) ? ` (did you mean '${best}'?)` : ''
}

/**
 * Reads a JSON config file: an object whose keys are known settings.
 * Unreadable file, invalid JSON, a non-object or unknown keys → ConfigError naming the file.
 */
export function fileLayer(file: string, knownKeys: readonly string[], cwd: string): Layer {
  const path = resolve(cwd, file)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message
    throw new ConfigError(`cannot read config file ${path}: ${reason}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object of settings, like {"port": 8000}`)
  }
  const unknown = Object.keys(parsed).filter((key) => !knownKeys.includes(key))
  if (unknown.length > 0) {
    const list = unknown.map((key) => `'${key}'${suggestion(key, knownKeys)}`).join(', ')
    throw new ConfigError(
      `config file ${path} has unknown setting${unknown.length > 1 ? 's' : ''} ${list} — known settings: ${knownKeys.join(', ')}`,
    )
  }
  return { values: parsed as Record<string, unknown>, describe: (key) => `config file ${path}, key '${key}'`, baseDir: dirname(path) }
}

/**
 * Merges layers, highest priority first. Values of `pathKeys` that are
 * relative are resolved against the folder of the layer that set them.
 */
export function mergeLayers(layers: readonly Layer[], pathKeys: ReadonlySet<string>): Merged {
  const values: Record<string, unknown> = {}
  const origins: Record<string, Origin> = {}
  for (const layer of layers) {
    for (const [key, raw] of Object.entries(layer.values)) {
      if (raw === undefined || key in values) continue
      values[key] = pathKeys.has(key) && typeof raw === 'string' && raw !== '' ? resolve(layer.baseDir, raw) : raw
      origins[key] = { raw, source: layer.describe(key) }
    }
  }
  return { values, origins }
}
