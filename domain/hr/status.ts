// domain/hr/status.ts: pure: what HR says of one person at an instant, folded from the events in force.
import type { HrEventType, MoverChanges } from './events';

/** One recorded HR event that still counts (not rescinded, not superseded by a moved date). */
export interface HrFact {
  eventId: string;
  type: Exclude<HrEventType, 'termination.rescinded'>;
  /** ISO instant it takes effect. */
  effectiveAt: string;
  /** Its sequence in the directory's log: the order of receipt, which breaks ties between equal instants. */
  seq: number;
  changes?: MoverChanges;
}

export interface HrStatus {
  /** A termination in force (only a later rehire lifts it). */
  terminated: { eventId: string; at: string; seq: number } | null;
  /** A leave of absence in force: access suspended until the return. */
  onLeave: { eventId: string; at: string; seq: number } | null;
  /** What movers in force changed, last one per field winning (`null`: cleared). */
  attributes: MoverChanges;
  /** The next instant something HR recorded takes effect (the identity workflow's timer), or null. */
  nextChangeAt: string | null;
}

export const NO_HR: HrStatus = { terminated: null, onLeave: null, attributes: {}, nextChangeAt: null };

const byTime = (a: HrFact, b: HrFact) => a.effectiveAt.localeCompare(b.effectiveAt) || a.seq - b.seq;

/**
 * HR's view at `now`: events take effect in the order of their effective instants (ties in order of receipt). A
 * termination holds until a rehire that takes effect after it; a leave until a return, a rehire or nothing else.
 */
export function hrStatusAt(facts: HrFact[], now: Date): HrStatus {
  const at = now.toISOString();
  const status: HrStatus = { terminated: null, onLeave: null, attributes: {}, nextChangeAt: null };
  for (const fact of [...facts].sort(byTime)) {
    if (fact.effectiveAt > at) {
      status.nextChangeAt ??= fact.effectiveAt;
      continue;
    }
    const mark = { eventId: fact.eventId, at: fact.effectiveAt, seq: fact.seq };
    switch (fact.type) {
      case 'termination':
        status.terminated ??= mark; // the first one in force is when access ended
        break;
      case 'rehire':
        status.terminated = null;
        status.onLeave = null;
        break;
      case 'leave.started':
        status.onLeave ??= mark;
        break;
      case 'leave.ended':
        status.onLeave = null;
        break;
      case 'mover':
        Object.assign(status.attributes, fact.changes);
        break;
    }
  }
  return status;
}

/** Why HR holds access off (termination before leave), or null when HR does not. */
export function hrHold(status: HrStatus): { reason: 'terminated' | 'on-leave'; at: string; seq: number } | null {
  if (status.terminated) return { reason: 'terminated', at: status.terminated.at, seq: status.terminated.seq };
  if (status.onLeave) return { reason: 'on-leave', at: status.onLeave.at, seq: status.onLeave.seq };
  return null;
}
