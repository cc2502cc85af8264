// api/policy-change.ts: a new policy version and one event per identity it changes, in one transaction (or a dry run).
import { loadDesired } from '../store/desired-state';
import type { IdentityImpact, ImpactSummary } from '../domain/policy/impact';
import { identityImpact, summarizeImpact } from '../domain/policy/impact';
import type { Policy } from '../domain/policy/policy';
import { DEFAULT_POLICY, parsePolicy } from '../domain/policy/policy';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import { transactor } from '../store/transact';

export interface PolicyChange extends ImpactSummary {
  dryRun: boolean;
  /** The new version (null in a dry run). */
  version: number | null;
  /** Up to 20 affected identities, for a look before the change (all of them are in the events). */
  sample: IdentityImpact[];
  /** The events recorded (one `policy` event per affected identity), for the caller to deliver. */
  events: EventRow[];
}

/**
 * Compares every identity's desired state under the current and the new policy. Without `dryRun` the new version and
 * a `policy` event per affected identity commit together, so the relay, `report lag` and `events replay` cover the
 * change like any IdP write; identities the policy does not change get no event.
 */
export function changePolicy(stores: Stores, directoryId: string, policy: Policy, dryRun: boolean): PolicyChange {
  const stored = stores.policies.latest(directoryId);
  const current = stored ? parsePolicy(stored.policy) : DEFAULT_POLICY;
  const ids = stores.resources.userIds(directoryId);
  const scan = (): IdentityImpact[] =>
    ids.flatMap((id) => {
      const impact = identityImpact(
        loadDesired(stores, directoryId, id, current).state,
        loadDesired(stores, directoryId, id, policy).state,
      );
      return impact ? [impact] : [];
    });
  // The scan runs outside the write transaction (it may take seconds; IdP writes go on): an identity an IdP write
  // changes meanwhile has that write's own event, and its workflow converges on whatever policy is current then.
  const impacts = scan();
  let version: number | null = null;
  let events: EventRow[] = [];
  if (!dryRun)
    transactor(stores.db).run(() => {
      const next = stores.policies.put(directoryId, policy);
      version = next;
      events = stores.events.append(
        directoryId,
        impacts.map((i) => ({
          identityId: i.identityId,
          resourceType: 'User' as const,
          kind: 'policy' as const,
          detail: { policyVersion: next },
        })),
        new Date().toISOString(),
      );
    });
  return { dryRun, version, ...summarizeImpact(ids.length, impacts), sample: impacts.slice(0, 20), events };
}
