// workflows/local-gate.ts: at most one local activity in flight per identity workflow.
import * as wf from '@temporalio/workflow';

/**
 * Lanes run concurrently, but their local activities must not: the SDK core resolves concurrent local activities one
 * by one live and all together on replay, so a failed one that falls back to a scheduled activity would reorder the
 * commands and break replay. Bookkeeping waits for the gate; so does a lane's fast first attempt while its app answers
 * well (each attempt gives up after FAST_ATTEMPT_TIMEOUT_MS), and so does one whose app just failed or timed out.
 *
 * Nothing may decide on whether the gate is free *now*: a local activity that outlives its workflow task (heartbeated)
 * resolves in a later activation than that task's new events live, but in the same activation on replay, so the gate
 * can look held live and free on replay (a scheduled activity recorded, a local activity replayed: a nondeterminism).
 */
export class LocalGate {
  private held = false;

  /** Runs `call` holding the gate, waiting for it first. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    // Several waiters can be woken by one release; whoever resumes first takes the gate, the others wait again.
    while (this.held) await wf.condition(() => !this.held);
    return this.hold(call);
  }

  /**
   * Runs `call` holding the gate if it is free now. Only for runs recorded before SICK_APPS_WAIT_PATCH
   * (workflows/proxies.ts), which replay it as they ran; see above why nothing new may use it.
   */
  async tryRun<T>(call: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    if (this.held) return { ran: false };
    return { ran: true, value: await this.hold(call) };
  }

  private async hold<T>(call: () => Promise<T>): Promise<T> {
    this.held = true;
    try {
      return await call();
    } finally {
      this.held = false;
    }
  }
}

/** `proxy` with every method called through the gate (waiting for it). */
export function gated<T extends object>(proxy: T, gate: LocalGate): T {
  return new Proxy(proxy, {
    get(target, name) {
      const method = Reflect.get(target, name) as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => gate.run(() => method(...args));
    },
  });
}
