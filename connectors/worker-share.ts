// connectors/worker-share.ts: in one worker process, no app holds more than its share of the activity slots.
import { spreadWait } from '../domain/apps/throttle';
import type { CallGate, GateEntry } from './throttled';

export interface ShareLimits {
  /** Requests one app may have in flight in this process from scheduled activities, and from fast (local) attempts. */
  scheduled: number;
  local: number;
}

/**
 * A hanging app would otherwise fill every slot of the worker with requests that wait for it, and every other app's
 * (and tenant's) steps would queue behind them. A slow app (its oldest request in flight waiting for a second or more)
 * is held to its share; a fast one is not (a sync's burst to a healthy app may use every slot). Over its share, a call
 * is refused at once with a wait as long as the
 * app's oldest request has been waiting (0.5–30 s, spread by up to half again): a hanging app's steps back off as far as it hangs, a busy but
 * healthy one's come back soon. A refused fast attempt has no wait: the step goes on as a scheduled activity at once.
 */
/** An app whose oldest request in flight has waited this long is slow: from then on it is held to its share. */
export const SLOW_AFTER_MS = 1_000;

export class WorkerShare {
  private readonly started = new Map<string, Map<number, number>>();
  private nextTicket = 1;

  constructor(
    private readonly limits: ShareLimits,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  gate(appId: string, isLocal: () => boolean): CallGate {
    return {
      // Asynchronous like every gate; the check and the taking of a slot happen in one turn (no await between).
      enter: async () => this.enter(`${appId}/${isLocal() ? 'local' : 'scheduled'}`, isLocal() ? 'local' : 'scheduled'),
      leave: async (ticket) => {
        if (ticket === null) return;
        const [key, n] = splitTicket(ticket);
        this.started.get(key)?.delete(n);
      },
    };
  }

  private enter(key: string, kind: keyof ShareLimits): GateEntry {
    let calls = this.started.get(key);
    if (!calls) this.started.set(key, (calls = new Map()));
    const limit = this.limits[kind];
    const oldest = calls.values().next().value; // insertion order: the first is the oldest
    // Only a slow app is held to its share: a healthy one answering fast may use every slot (a sync's burst).
    if (calls.size >= limit && oldest !== undefined && this.now() - oldest >= SLOW_AFTER_MS) {
      // A fast attempt waits for nothing: the step goes on at once as a scheduled activity (queued, no slot held).
      const waitMs =
        kind === 'local' ? 0 : spreadWait(Math.min(30_000, Math.max(500, this.now() - oldest)), this.random);
      return { ok: false, waitMs, reason: `${calls.size} requests in flight from this worker (its share is ${limit})` };
    }
    const n = this.nextTicket++;
    calls.set(n, this.now());
    return { ok: true, ticket: `${key}#${n}` };
  }
}

function splitTicket(ticket: string): [string, number] {
  const at = ticket.lastIndexOf('#');
  return [ticket.slice(0, at), Number(ticket.slice(at + 1))];
}

/** A quarter of each slot pool, at least 2: three hanging apps still leave a quarter of the worker to everyone else. */
export function shareOf(slots: { activities: number; localActivities: number }): ShareLimits {
  return {
    scheduled: Math.max(2, Math.floor(slots.activities / 4)),
    local: Math.max(2, Math.floor(slots.localActivities / 4)),
  };
}
