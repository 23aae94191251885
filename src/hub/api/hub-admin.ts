/**
 * What `monohub user|token` do to a hub's records, one interface with two
 * ways behind it, so there is always exactly one writer:
 * - no hub runs on the data dir: open its store directly (holding the lock,
 *   so a hub cannot start meanwhile) — admin-direct.ts;
 * - a hub runs (the store is locked): go through its REST API with the
 *   per-start admin token from hub-runtime.json — admin-http.ts.
 * open-hub-admin.ts picks one.
 */
import { ExplainedError } from '../../explained-error.ts'

export interface NewTokenRequest {
  note?: string
  scopes?: string[]
  /** Seconds. */
  expiresIn?: number
}

export interface HubAdmin {
  /** 'direct' (store opened here) or 'hub' (through the running hub at `url`). */
  readonly via: 'direct' | 'hub'
  addUser(name: string, fields: { admin?: boolean; password?: string }): Promise<Record<string, unknown>>
  removeUser(name: string): Promise<void>
  /** JupyterHub user models, oldest first. */
  listUsers(): Promise<Record<string, unknown>[]>
  setPassword(name: string, password: string): Promise<void>
  setAdmin(name: string, admin: boolean): Promise<Record<string, unknown>>
  /** The token model plus `token` (shown once). */
  createToken(user: string, request: NewTokenRequest): Promise<Record<string, unknown> & { token: string }>
  close(): Promise<void>
}

/** A refusal or failure the CLI prints as is (exit 1). */
export class HubAdminError extends ExplainedError {
  constructor(code: string, message: string, status = 400) {
    super(code, status, message)
  }
}
