/**
 * A process's run state, held in its context: set when the process is asked to stop (SIGTERM), read by
 * /readyz (503 from then on, so a load balancer stops sending) and by the HTTP server (every answer then
 * says `Connection: close`). Liveness (/healthz) does not look at it.
 */
export interface Lifecycle {
  /** True from the stop signal on. */
  readonly stopping: boolean;
  /** When the stop was asked (the context's clock), or null. */
  readonly stoppingSince: Date | null;
  /** Marks the process as stopping; later calls keep the first time. Returns false if it already was. */
  stop(now: Date): boolean;
}

export function createLifecycle(): Lifecycle {
  let since: Date | null = null;
  return {
    get stopping() {
      return since !== null;
    },
    get stoppingSince() {
      return since;
    },
    stop(now) {
      if (since) return false;
      since = now;
      return true;
    },
  };
}
