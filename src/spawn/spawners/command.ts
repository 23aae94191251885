/**
 * Which program a local server runs, and with what arguments.
 *
 * `auto` picks jupyterhub-singleuser when it is on PATH, else jupyter-lab or
 * jupyter-server, else the built-in demo server; `demo` forces the demo; an
 * argv runs that program with {port} {base_url} {user} {server} {ip} {token}
 * filled in. Pure apart from looking files up on PATH.
 */
import { accessSync, constants, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SpawnError } from '../errors.ts'

/** 'auto', 'demo', or an argv (program first; split a command line with splitCommandLine). */
export type CommandSetting = 'auto' | 'demo' | readonly string[]

/**
 * How the server is protected: 'jupyterhub' servers do OAuth with the hub
 * (no token); every other kind gets a random per-server token that the proxy injects.
 */
export type CommandKind = 'jupyterhub' | 'jupyter' | 'demo' | 'custom'

export interface ResolvedCommand {
  kind: CommandKind
  /** Absolute path of the program. */
  file: string
  /** Argument templates, placeholders not yet filled. */
  args: string[]
}

export interface Placeholders {
  port: string
  base_url: string
  user: string
  server: string
  ip: string
  token: string
}

/** The demo server's entry file: main.ts beside this file under type stripping, main.js in dist/. */
export function demoServerEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  return fileURLToPath(new URL(`./demo-server/main${ext}`, import.meta.url))
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

/** The absolute path of `program` (a name looked up on `pathVar`, or a path), or undefined. */
export function findOnPath(program: string, pathVar: string): string | undefined {
  if (program.includes('/')) return isExecutableFile(program) ? path.resolve(program) : undefined
  for (const dir of pathVar.split(path.delimiter)) {
    if (dir === '') continue
    const candidate = path.join(dir, program)
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}

function kindOf(program: string): CommandKind {
  const base = path.basename(program)
  if (base === 'jupyterhub-singleuser') return 'jupyterhub'
  if (base === 'jupyter-lab' || base === 'jupyter-server' || base === 'jupyter-notebook') return 'jupyter'
  return 'custom'
}

const JUPYTER_ARGS = ['--ip={ip}', '--port={port}', '--no-browser']

function demoCommand(): ResolvedCommand {
  return { kind: 'demo', file: process.execPath, args: [demoServerEntry(), '--ip={ip}', '--port={port}', '--base-url={base_url}'] }
}

/**
 * Resolves the command setting against `pathVar`. Throws SpawnError
 * COMMAND_NOT_FOUND naming the program and the PATH searched.
 */
export function resolveCommand(setting: CommandSetting, pathVar: string, options: { jupyterhub?: boolean } = {}): ResolvedCommand {
  if (setting === 'demo') return demoCommand()
  if (setting === 'auto') {
    for (const program of ['jupyterhub-singleuser', 'jupyter-lab', 'jupyter-server']) {
      const file = findOnPath(program, pathVar)
      if (file === undefined) continue
      if (program === 'jupyterhub-singleuser') return { kind: 'jupyterhub', file, args: ['--ip={ip}', '--port={port}'] }
      return { kind: 'jupyter', file, args: [...JUPYTER_ARGS, '--ServerApp.base_url={base_url}'] }
    }
    return demoCommand()
  }
  const [program, ...args] = setting
  if (program === undefined || program === '') throw new SpawnError('COMMAND_NOT_FOUND', 500, 'the spawner\'s cmd is empty — set it to auto, demo or a command line')
  const file = findOnPath(program, pathVar)
  if (file === undefined) {
    throw new SpawnError(
      'COMMAND_NOT_FOUND',
      500,
      `command '${program}' was not found${program.includes('/') ? '' : ` on PATH (${pathVar})`} — install it, give its full path, or use --cmd auto / demo`,
    )
  }
  const kind = options.jupyterhub === true ? 'jupyterhub' : options.jupyterhub === false && kindOf(file) === 'jupyterhub' ? 'custom' : kindOf(file)
  return { kind, file, args: [...args] }
}

/** Fills {port} {base_url} {user} {server} {ip} {token} in each argument; other braces stay. */
export function fillPlaceholders(args: readonly string[], values: Placeholders): string[] {
  return args.map((arg) => arg.replace(/\{(port|base_url|user|server|ip|token)\}/g, (_, key: keyof Placeholders) => values[key]))
}

/** Arguments a root hub needs to add when running servers as root on purpose. */
export function rootArgs(kind: CommandKind): string[] {
  return kind === 'jupyterhub' || kind === 'jupyter' ? ['--allow-root'] : []
}

/**
 * Splits a command line the way a POSIX shell splits words: whitespace
 * separates, '…' is literal, "…" allows \" and \\, a backslash escapes the
 * next character. No expansion of any kind. Throws on an unclosed quote.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (ch === "'") {
      const end = line.indexOf("'", i + 1)
      if (end < 0) throw new Error(`unclosed ' in command line: ${line}`)
      word += line.slice(i + 1, end)
      i = end
      inWord = true
    } else if (ch === '"') {
      let j = i + 1
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++
        word += line[j]
      }
      if (j >= line.length) throw new Error(`unclosed " in command line: ${line}`)
      i = j
      inWord = true
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i]
      inWord = true
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else {
      word += ch
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}
