// api/pending-signals.ts: the poker's queue of identities to signal (pure): one entry per identity, leavers first.
import type { EventKind } from '../store/event-log';

export type PriorityChange = 'leaver' | 'rejoin';

export interface PendingSignal {
  directoryId: string;
  identityId: string;
  /** The newest event seq to deliver. */
  seq: number;
  /** 'leaver': raise the workflow's task priority before the signal; 'rejoin': put it back. */
  priority?: PriorityChange;
  /** The request (X-Request-Id) that recorded the newest event, carried to the workflow. */
  requestId?: string;
}

/** Which events change an identity's task priority: leavers go first, a rejoiner goes back in line. */
export function priorityOf(kind: EventKind): PriorityChange | undefined {
  if (kind === 'deactivated' || kind === 'deleted' || kind === 'hr.leaver' || kind === 'nhi.revoked') return 'leaver';
  if (kind === 'reactivated' || kind === 'hr.rejoin') return 'rejoin';
  return undefined;
}

const keyOf = (p: PendingSignal) => `${p.directoryId}/${p.identityId}`;

/**
 * Identities waiting for a signal. Several events of one identity make one entry (the newest seq; the newest event
 * that changes priority decides it). An identity whose pending change is a leaver's waits in its own queue, taken
 * before every joiner and update, so a leaver is never behind a large sync's backlog here.
 */
export class PendingSignals {
  private readonly leavers = new Map<string, PendingSignal>();
  private readonly others = new Map<string, PendingSignal>();

  get size(): number {
    return this.leavers.size + this.others.size;
  }

  add(p: PendingSignal): void {
    const key = keyOf(p);
    const before = this.leavers.get(key) ?? this.others.get(key);
    const merged = !before
      ? p
      : p.seq >= before.seq
        ? { ...before, ...p, priority: p.priority ?? before.priority }
        : { ...before, priority: before.priority ?? p.priority };
    this.leavers.delete(key);
    this.others.delete(key);
    (merged.priority === 'leaver' ? this.leavers : this.others).set(key, merged);
  }

  /** Removes and returns the next entry whose identity is not `busy` (one signal per identity at a time). */
  take(busy: (key: string) => boolean): { key: string; signal: PendingSignal } | undefined {
    for (const queue of [this.leavers, this.others])
      for (const [key, signal] of queue)
        if (!busy(key)) {
          queue.delete(key);
          return { key, signal };
        }
    return undefined;
  }
}
