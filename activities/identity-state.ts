// activities/identity-state.ts: the identity workflow's bookkeeping on scimflow's own database (run as local activities).
import type { AppliedApp } from '../domain/planner/types';
import type { AppBlock } from '../store/applied-state';
import type { IdentityKey, IdentitySnapshot } from '../workflows/contracts';
import { createPredecessorCheck, PredecessorPendingError } from './predecessors';
import type { StepKit } from './step-kit';

export function createIdentityStateActivities(kit: StepKit) {
  const { stores } = kit;
  const pendingPredecessors = createPredecessorCheck(stores);

  const appliedOf = (key: IdentityKey): AppliedApp[] =>
    stores.applied.list(key.directoryId, key.identityId).map((a) => ({
      appId: a.appId,
      remoteId: a.remoteId,
      state: a.state,
      specHash: a.specHash,
      entitlements: a.entitlements,
      revocationVerified: a.revocationVerified,
    }));

  return {
    /**
     * Desired and applied state, ids and hashes only (a resource body never enters the history). Retried without
     * limit while an earlier identity of the same userName is still being deprovisioned (see predecessors.ts).
     */
    async loadIdentity(key: IdentityKey): Promise<IdentitySnapshot> {
      const { state, spec } = kit.desired(key);
      if (state.status === 'active' && spec) {
        const pending = pendingPredecessors(key.directoryId, key.identityId, spec.userName);
        if (pending.length > 0)
          throw new PredecessorPendingError(
            `waiting for the deprovisioning of earlier identities of ${state.label}: ${pending.join(', ')}`,
          );
      }
      return { desired: state, applied: appliedOf(key) };
    },

    async recordProgress(
      input: IdentityKey & { processedSeq: number; lifecycle: string; exception: string | null },
    ): Promise<void> {
      stores.applied.recordProgress(input.directoryId, input.identityId, input);
      if (input.exception)
        stores.applied.audit({
          directoryId: input.directoryId,
          identityId: input.identityId,
          action: 'exception',
          detail: { exception: input.exception },
        });
    },

    async recordRevocation(input: IdentityKey & { seq: number; requestedAt: string }): Promise<void> {
      stores.applied.recordRevocation(
        input.directoryId,
        input.identityId,
        input.seq,
        input.requestedAt,
        kit.now().toISOString(),
      );
    },

    /** A step that keeps failing in one app becomes visible (report exceptions, with its age), or stops being. */
    async recordAppBlock(input: IdentityKey & { appId: string; block: AppBlock | null }): Promise<void> {
      const before = stores.applied.get(input.directoryId, input.identityId, input.appId)?.blocked ?? null;
      stores.applied.setBlocked(input.directoryId, input.identityId, input.appId, input.block);
      if (input.block && (before?.kind !== input.block.kind || before.reason !== input.block.reason))
        stores.applied.audit({
          directoryId: input.directoryId,
          identityId: input.identityId,
          appId: input.appId,
          action: { revocation: 'revocation.blocked', grant: 'grant.blocked', exception: 'grant.exception' }[
            input.block.kind
          ],
          detail: { reason: input.block.reason, since: input.block.since },
        });
      else if (!input.block && before)
        stores.applied.audit({
          directoryId: input.directoryId,
          identityId: input.identityId,
          appId: input.appId,
          action: 'block.cleared',
          detail: { kind: before.kind, since: before.since },
        });
    },
  };
}
