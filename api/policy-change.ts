// api/policy-change.ts: a new policy version and one event per identity it changes (or a dry run of it).
import type { ImpactSummary, IdentityImpact } from '../domain/policy/impact';
import type { Policy } from '../domain/policy/policy';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import { changeConfiguration } from './config-change';
import { describeTrip, guardOf, trips } from '../domain/apps/mass-change';

export interface PolicyChange extends ImpactSummary {
  dryRun: boolean;
  /** The new version (null in a dry run). */
  version: number | null;
  sample: IdentityImpact[];
  events: EventRow[];
  /**
   * Set when the mass-change guard of an app stopped the change: nothing was stored; `change` is the held change's id
   * for `scimflow approve` (null in a dry run, which only says it would be held).
   */
  held: { change: string | null; reason: string } | null;
}

/**
 * Stores a new policy version, or holds it when it would take accounts from more than an app's mass-change guard
 * allows (`approved`: an operator said yes, `scimflow approve`). Leavers the IdP names one by one never meet the guard.
 */
export async function changePolicy(
  stores: Stores,
  directoryId: string,
  policy: Policy,
  dryRun: boolean,
  approved = false,
): Promise<PolicyChange> {
  let trip: { appId: string; affected: number; reason: string } | undefined;
  const { result, held, ...change } = await changeConfiguration(stores, directoryId, {
    kind: 'policy',
    dryRun,
    apply: () => stores.policies.put(directoryId, policy),
    detail: (version) => ({ policyVersion: version }),
    hold: approved
      ? undefined
      : async (impact) => {
          trip = await massLoss(stores, directoryId, impact.accountsLost);
          return trip?.reason;
        },
  });
  if (!held || !trip) return { ...change, version: result ?? null, held: null };
  if (dryRun) return { ...change, version: null, held: { change: null, reason: trip.reason } };
  const kept = await stores.held.hold({
    directoryId,
    appId: trip.appId,
    kind: 'policy',
    reason: trip.reason,
    affected: trip.affected,
    payload: policy,
  });
  return {
    ...change,
    version: null,
    held: { change: kept.id, reason: `${trip.reason}; approve with: scimflow approve --change ${kept.id}` },
  };
}

/** The first app (by name) that would lose more accounts than its guard allows. */
async function massLoss(stores: Stores, directoryId: string, lost: Record<string, number>) {
  for (const app of await stores.directories.listApps(directoryId)) {
    const affected = lost[app.name] ?? 0;
    if (affected === 0) continue;
    const total = await stores.applied.countUnrevokedInApp(app.id);
    const guard = guardOf(app.config);
    if (trips(guard, affected, total))
      return { appId: app.id, affected, reason: describeTrip('this policy', app.name, affected, total, guard!) };
  }
  return undefined;
}
