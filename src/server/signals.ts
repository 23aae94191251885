/**
 * Graceful stop on SIGTERM (systemd, docker stop, JupyterHub) and SIGINT
 * (Ctrl-C): close, then exit 0. A second signal during the stop exits at once.
 */
export interface Stoppable {
  close(): Promise<void>
  log: { info(msg: string): void; warn(msg: string): void; error(obj: object, msg: string): void }
}

export function stopOnSignals(running: Stoppable, signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      running.log.warn(`${signal} again during stop: exiting now`)
      process.exit(1)
    }
    stopping = true
    running.log.info(`${signal}: stopping`)
    running.close().then(
      () => {
        running.log.info('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        running.log.error({ err }, 'stopping failed')
        process.exit(1)
      },
    )
  }
  for (const signal of signals) process.on(signal, onSignal)
}
