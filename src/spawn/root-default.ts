/**
 * What the local `process` spawner does when the hub runs as root — a pure
 * decision, so it can be tested without being root.
 *
 * Running every user's server as root would give every user a root shell
 * (Jupyter's terminal, any custom command), so issue 4 requires a refusal
 * unless the admin opts in with allowRoot. But `npx monohub` on a fresh VM
 * runs as root, and a first login must still get a working server. So:
 *
 * - Nothing chosen (default spawner, `--cmd auto`), or the demo chosen
 *   (`--spawner demo`, `--cmd demo`): run the built-in demo server — never
 *   Jupyter — as the unprivileged `nobody` account when it can (see
 *   root-account.ts), else as root with a plain warning in the start-up log.
 * - Anything else chosen explicitly (`--spawner process`, Jupyter, a custom
 *   command) without allowRoot: refuse every start with a message saying how
 *   to get per-user servers (system-user / systemd) — the hub itself stays up.
 *   Why the demo may run as root when `nobody` cannot run it (Node installed
 *   under /root by `npx -p node@24`): it executes no user code — it serves its
 *   own page, a listing of its work dir and a WebSocket echo, and answers only
 *   requests carrying the per-server token the proxy injects. The exposure is
 *   a bug in those few lines, not a shell; the start-up log says so plainly
 *   and says how to run it as nobody instead.
 * - allowRoot: as before (servers run as root; Jupyter gets --allow-root).
 * - Not root: unchanged (auto → jupyterhub-singleuser, jupyter-lab/server, demo).
 */
import type { CommandSetting } from './spawners/command.ts'

export interface RootDecisionInput {
  /** The hub's uid (process.getuid()). */
  uid: number
  allowRoot: boolean
  /** 'process' or 'demo' (the kinds that run local child processes as the hub's account). */
  spawnerKind: 'process' | 'demo'
  /** True when the admin set `spawner` (flag, env, config file), false when it is the default. */
  spawnerChosen: boolean
  cmd: CommandSetting
}

export type RootDecision =
  /** Not root: the configured command, as the hub's own account. */
  | { mode: 'unchanged' }
  /** Root with allowRoot: the configured command, as root (Jupyter gets --allow-root). */
  | { mode: 'root-allowed' }
  /** Root, nothing (or the demo) chosen: the built-in demo server, as `nobody` when it can. */
  | { mode: 'demo' }
  /** Root, a command that runs user code chosen explicitly: every start is refused. */
  | { mode: 'refuse' }

export function decideForRoot(input: RootDecisionInput): RootDecision {
  if (input.uid !== 0) return { mode: 'unchanged' }
  if (input.allowRoot) return { mode: 'root-allowed' }
  if (input.spawnerKind === 'demo' || input.cmd === 'demo') return { mode: 'demo' }
  // `--cmd auto` means "whatever works": as root that is the demo, unless the
  // admin explicitly asked for the process spawner (then auto could mean Jupyter).
  if (input.cmd === 'auto' && !input.spawnerChosen) return { mode: 'demo' }
  return { mode: 'refuse' }
}

/** How to get real (Jupyter) servers on a root hub — shared by the log, the refusal and the demo page. */
export const ROOT_JUPYTER_ADVICE =
  'for Jupyter, run each user\'s server as their own Unix account with --spawner system-user ' +
  '(add {"spawner": {"kind": "system-user", "createUsers": true}} in a config file to create missing accounts) ' +
  'or with --spawner systemd (transient units with memory/CPU limits), ' +
  'or pass --allow-root to run them as root (every user then gets a root shell)'

