// api/event-types.ts: the events API's public event types, and the pure mapping from the log's event kinds.
import type { EventKind } from '../store/event-log';

/**
 * What the directory's log says happened, as a consumer reads it. `user.*` events are about a user (its state is in the
 * event), `group.*` about a group, `nhi.*` about a non-human identity (no SCIM resource: no state).
 */
export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'user.membership',
  'user.resync',
  'user.policy',
  'user.app',
  'user.hr.leaver',
  'user.hr.rejoin',
  'user.hr',
  'group.created',
  'group.updated',
  'group.deleted',
  'nhi.changed',
  'nhi.revoked',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const BY_KIND: Record<EventKind, EventType> = {
  created: 'user.created',
  updated: 'user.updated',
  deactivated: 'user.deactivated',
  reactivated: 'user.reactivated',
  deleted: 'user.deleted',
  membership: 'user.membership',
  resync: 'user.resync',
  policy: 'user.policy',
  app: 'user.app',
  'hr.leaver': 'user.hr.leaver',
  'hr.rejoin': 'user.hr.rejoin',
  hr: 'user.hr',
  'group.created': 'group.created',
  'group.updated': 'group.updated',
  'group.deleted': 'group.deleted',
  nhi: 'nhi.changed',
  'nhi.revoked': 'nhi.revoked',
};

export const eventTypeOf = (kind: EventKind): EventType => BY_KIND[kind];

/** The log's kinds behind a list of public types; a name ending in `.*` (`user.*`, `user.hr.*`) names a family. */
export function kindsOfTypes(types: readonly string[]): { kinds: EventKind[] } | { unknown: string[] } {
  const unknown: string[] = [];
  const kinds = new Set<EventKind>();
  for (const type of types) {
    // `user.hr.*` is `user.hr` and everything under it.
    const family = type.endsWith('.*') ? type.slice(0, -2) : undefined;
    const matching = (Object.entries(BY_KIND) as [EventKind, EventType][]).filter(([, t]) =>
      family === undefined ? t === type : t === family || t.startsWith(`${family}.`),
    );
    if (matching.length === 0) unknown.push(type);
    for (const [kind] of matching) kinds.add(kind);
  }
  return unknown.length > 0 ? { unknown } : { kinds: [...kinds].sort() };
}
