// activities/identity-state.ts: the identity workflow's bookkeeping on scimflow's own database (run as local activities).
import { matchValuesOf } from '../domain/hr/match';
import { serviceUserOf } from '../domain/hr/service-user';
import type { AppliedApp, DesiredState } from '../domain/planner/types';
import type { AppBlock } from '../store/applied-state';
import type { IdentityKey, IdentitySnapshot, PendingRevocation } from '../workflows/contracts';
import { createPredecessorCheck, PredecessorPendingError } from './predecessors';
import type { StepKit } from './step-kit';

export function createIdentityStateActivities(kit: StepKit) {
  const { stores } = kit;
  const pendingPredecessors = createPredecessorCheck(stores);

  const appliedOf = async (key: IdentityKey): Promise<AppliedApp[]> =>
    (await stores.applied.list(key.directoryId, key.identityId)).map((a) => ({
      appId: a.appId,
      remoteId: a.remoteId,
      state: a.state,
      specHash: a.specHash,
      entitlements: a.entitlements,
      // Only when there are some: the recorded snapshot (and the plan) stay as they were for everyone else.
      ...(a.unconfirmedEntitlements.length > 0 ? { unconfirmedEntitlements: a.unconfirmedEntitlements } : {}),
      revocationVerified: a.revocationVerified,
    }));

  /**
   * A departure revoked and verified in the apps (by a workflow task that was then lost) but without its time-to-revoke
   * record: the newest verification is the record's time. Nothing when the record exists or nothing was verified.
   */
  async function unrecordedRevocation(
    key: IdentityKey,
    desired: DesiredState,
  ): Promise<{ verifiedAt: string } | undefined> {
    if (desired.status === 'active' || desired.deactivatedSeq === null) return undefined;
    const { directoryId, identityId } = key;
    const verifiedAt = await stores.applied.unrecordedRevocationVerifiedAt(
      directoryId,
      identityId,
      desired.deactivatedSeq,
    );
    return verifiedAt === undefined ? undefined : { verifiedAt };
  }

  /**
   * A user the IdP pushed as a service account (userType) becomes an NHI record owned by its manager, so that it is
   * handed on or revoked when that person leaves. Written only when it is new (reads otherwise).
   */
  async function adoptServiceUser(key: IdentityKey): Promise<void> {
    const resource = await stores.resources.getAnyState(key.directoryId, key.identityId);
    const service = resource?.type === 'User' && !resource.deletedAt ? serviceUserOf(resource.doc) : undefined;
    if (!service || (await stores.nhis.get(key.directoryId, key.identityId))) return;
    await stores.nhis.add({
      directoryId: key.directoryId,
      id: key.identityId,
      name: typeof resource!.doc.userName === 'string' ? resource!.doc.userName : key.identityId,
      kind: service.kind,
      ownerId: service.ownerId,
      expiresAt: null,
      rotateBy: null,
      apps: {},
      source: 'scim',
      at: kit.now().toISOString(),
    });
    await stores.applied.audit({
      directoryId: key.directoryId,
      identityId: key.identityId,
      action: 'nhi.added',
      detail: { source: 'scim', kind: service.kind, owner: service.ownerId },
    });
  }

  return {
    /**
     * Desired and applied state, ids and hashes only (a resource body never enters the history). Retried without
     * limit while an earlier identity of the same userName is still being deprovisioned (see predecessors.ts).
     */
    async loadIdentity(key: IdentityKey): Promise<IdentitySnapshot> {
      await adoptServiceUser(key);
      const { state, spec } = await kit.desired(key);
      // HR events that arrived before this person did are theirs from now on (the desired state above counts them).
      if (spec && state.kind !== 'service') {
        const resource = await stores.resources.getAnyState(key.directoryId, key.identityId);
        if (resource) await stores.hr.link(key.directoryId, key.identityId, matchValuesOf(resource.doc));
      }
      if (state.status === 'active' && spec) {
        const pending = await pendingPredecessors(key.directoryId, key.identityId, spec.userName);
        if (pending.length > 0)
          throw new PredecessorPendingError(
            `waiting for the deprovisioning of earlier identities of ${state.label}: ${pending.join(', ')}`,
          );
      }
      const unrecorded = await unrecordedRevocation(key, state);
      return {
        desired: state,
        applied: await appliedOf(key),
        ...(unrecorded ? { unrecordedRevocation: unrecorded } : {}),
      };
    },

    async recordProgress(
      input: IdentityKey & { processedSeq: number; lifecycle: string; exception: string | null },
    ): Promise<void> {
      await stores.applied.recordProgress(input.directoryId, input.identityId, input);
      if (input.exception)
        await stores.applied.audit({
          directoryId: input.directoryId,
          identityId: input.identityId,
          action: 'exception',
          detail: { exception: input.exception },
        });
    },

    async recordRevocation(input: IdentityKey & PendingRevocation): Promise<void> {
      await stores.applied.recordRevocation(
        input.directoryId,
        input.identityId,
        input.seq,
        input.requestedAt,
        input.verifiedAt ?? kit.now().toISOString(),
      );
    },

    /** A step that keeps failing in one app becomes visible (report exceptions, with its age), or stops being. */
    async recordAppBlock(input: IdentityKey & { appId: string; block: AppBlock | null }): Promise<void> {
      const before = (await stores.applied.get(input.directoryId, input.identityId, input.appId))?.blocked ?? null;
      await stores.applied.setBlocked(input.directoryId, input.identityId, input.appId, input.block);
      if (input.block && (before?.kind !== input.block.kind || before.reason !== input.block.reason))
        await stores.applied.audit({
          directoryId: input.directoryId,
          identityId: input.identityId,
          appId: input.appId,
          action: { revocation: 'revocation.blocked', grant: 'grant.blocked', exception: 'grant.exception' }[
            input.block.kind
          ],
          detail: { reason: input.block.reason, since: input.block.since },
        });
      else if (!input.block && before)
        await stores.applied.audit({
          directoryId: input.directoryId,
          identityId: input.identityId,
          appId: input.appId,
          action: 'block.cleared',
          detail: { kind: before.kind, since: before.since },
        });
    },
  };
}
