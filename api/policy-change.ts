// api/policy-change.ts: a new policy version and one event per identity it changes (or a dry run of it).
import type { ImpactSummary, IdentityImpact } from '../domain/policy/impact';
import type { Policy } from '../domain/policy/policy';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import { changeConfiguration } from './config-change';

export interface PolicyChange extends ImpactSummary {
  dryRun: boolean;
  /** The new version (null in a dry run). */
  version: number | null;
  sample: IdentityImpact[];
  events: EventRow[];
}

export function changePolicy(stores: Stores, directoryId: string, policy: Policy, dryRun: boolean): PolicyChange {
  const { result, ...change } = changeConfiguration(stores, directoryId, {
    kind: 'policy',
    dryRun,
    apply: () => stores.policies.put(directoryId, policy),
    detail: (version) => ({ policyVersion: version }),
  });
  return { ...change, version: result ?? null };
}
