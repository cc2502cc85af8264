// api/config-change.ts: a configuration change (policy, apps) and one event per identity it changes, in one
// transaction; or a dry run of it (the same change, measured, then rolled back).
import type { IdentityImpact, ImpactSummary } from '../domain/policy/impact';
import { identityImpact, summarizeImpact } from '../domain/policy/impact';
import type { DesiredState } from '../domain/planner/types';
import type { Stores } from '../store';
import { loadDesired } from '../store/desired-state';
import type { EventKind, EventRow } from '../store/event-log';

export interface ConfigChange<T> extends ImpactSummary {
  dryRun: boolean;
  /** What `apply` returned (undefined in a dry run: it was rolled back). */
  result: T | undefined;
  /** Up to 20 affected identities, for a look before the change (all of them get an event). */
  sample: IdentityImpact[];
  /** The events recorded (one per affected identity), for the caller to deliver. */
  events: EventRow[];
  /** Why the change was held (rolled back, nothing recorded), when `hold` said so. */
  held?: string;
}

class RollBack extends Error {}

/**
 * Applies `apply` and, in the same transaction, records an event of `kind` for every identity whose accounts or
 * entitlements it changes, so the relay, `report lag` and `events replay` cover configuration changes like IdP writes.
 * Identities it does not change get no event. A dry run measures the same change and rolls it back.
 *
 * The states before are read first; the states after, inside the write transaction (they must see the change), so
 * IdP writes wait for the scan (about a second per 10,000 identities) and answer 503 only past the busy timeout.
 */
export async function changeConfiguration<T>(
  stores: Stores,
  directoryId: string,
  change: {
    kind: EventKind;
    dryRun: boolean;
    apply: () => Promise<T>;
    detail: (result: T) => Record<string, unknown>;
    /** Decides on the impact whether the change must wait for an approval (a reason), inside the transaction. */
    hold?: (impact: ImpactSummary) => Promise<string | undefined>;
  },
): Promise<ConfigChange<T>> {
  const ids = await stores.resources.userIds(directoryId);
  const before = new Map<string, DesiredState>();
  for (const id of ids) before.set(id, (await loadDesired(stores, directoryId, id)).state);
  let result: T | undefined;
  let impacts: IdentityImpact[] = [];
  let events: EventRow[] = [];
  let held: string | undefined;
  try {
    await stores.atomically(async () => {
      const applied = await change.apply();
      impacts = [];
      for (const id of ids) {
        const impact = identityImpact(before.get(id)!, (await loadDesired(stores, directoryId, id)).state);
        if (impact) impacts.push(impact);
      }
      held = await change.hold?.(summarizeImpact(ids.length, impacts));
      if (change.dryRun || held) throw new RollBack();
      result = applied;
      const detail = change.detail(applied);
      events = await stores.events.append(
        directoryId,
        impacts.map((i) => ({ identityId: i.identityId, resourceType: 'User' as const, kind: change.kind, detail })),
        new Date().toISOString(),
      );
    });
  } catch (err) {
    if (!(err instanceof RollBack)) throw err;
  }
  return {
    dryRun: change.dryRun,
    result,
    ...summarizeImpact(ids.length, impacts),
    sample: impacts.slice(0, 20),
    events,
    ...(held ? { held } : {}),
  };
}
