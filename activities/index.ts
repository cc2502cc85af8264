// activities/index.ts: createActivities(deps), every side effect the identity workflow performs.
import { Context, log } from '@temporalio/activity';
import type { AppliedApp, DesiredState } from '../domain/planner/types';
import type { AccountSpec, RemoteAccount } from '../connectors/connector';
import type { Stores } from '../store';
import type { AppliedAccount } from '../store/applied-state';
import type { IdentityKey, StepInput } from '../workflows/contracts';
import type { ConnectorResolver } from './connectors';
import { loadDesiredState } from './desired-state';
import { createPredecessorCheck, PredecessorPendingError } from './predecessors';

export class RevocationNotVerifiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevocationNotVerifiedError';
  }
}

export interface ActivityDeps {
  stores: Stores;
  connectors: ConnectorResolver;
  now?: () => Date;
}

export function createActivities(deps: ActivityDeps) {
  const { stores, connectors } = deps;
  const now = deps.now ?? (() => new Date());
  const pendingPredecessors = createPredecessorCheck(stores);

  const current = (input: StepInput): AppliedAccount | undefined =>
    stores.applied.list(input.directoryId, input.identityId).find((a) => a.appId === input.step.appId);

  function audit(input: StepInput, action: string, detail: Record<string, unknown> = {}): void {
    const info = Context.current().info;
    stores.applied.audit({
      directoryId: input.directoryId,
      identityId: input.identityId,
      appId: input.step.appId,
      action,
      seq: input.seq,
      workflowId: info.workflowExecution?.workflowId,
      attempt: info.attempt,
      detail: { idempotencyKey: input.idempotencyKey, ...detail },
    });
  }

  /** Revocations never stop retrying; past the threshold every attempt leaves an operator-visible alert. */
  function alertIfSlow(input: StepInput): void {
    const attempt = Context.current().info.attempt;
    if (input.alertAfterAttempts !== undefined && attempt > input.alertAfterAttempts) {
      log.warn('revocation is still failing', { step: input.step.stepId, attempt });
      audit(input, 'revocation.alert', { step: input.step.stepId });
    }
  }

  function save(input: StepInput, remote: RemoteAccount | undefined, patch: Partial<AppliedAccount>): void {
    const before = current(input);
    stores.applied.upsert(input.directoryId, input.identityId, {
      appId: input.step.appId,
      remoteId: remote?.id ?? before?.remoteId ?? null,
      state: before?.state ?? 'deleted',
      specHash: before?.specHash ?? null,
      entitlements: before?.entitlements ?? [],
      ...patch,
    });
  }

  const specOf = (input: StepInput): AccountSpec => {
    const step = input.step;
    if (step.kind !== 'createAccount' && step.kind !== 'updateAccount' && step.kind !== 'disableAccount')
      throw new Error(`step ${step.kind} carries no account spec`);
    return step.spec;
  };

  async function upsertAccount(input: StepInput, spec: AccountSpec): Promise<RemoteAccount> {
    const { connector } = connectors(input.step.appId);
    const known = current(input);
    const options = { idempotencyKey: input.idempotencyKey };
    if (known?.remoteId && known.state !== 'deleted' && (await connector.getAccount(known.remoteId)))
      return connector.updateAccount(known.remoteId, spec, options);
    return connector.createAccount(spec, options);
  }

  function desiredFor(key: IdentityKey): DesiredState {
    const desired = loadDesiredState(stores, key.directoryId, key.identityId);
    if (desired.status !== 'active') return desired;
    const pending = pendingPredecessors(key.directoryId, key.identityId, desired.userName);
    if (pending.length > 0)
      throw new PredecessorPendingError(
        `waiting for the deprovisioning of earlier identities of ${desired.userName}: ${pending.join(', ')}`,
      );
    return desired;
  }

  const appliedFor = (key: IdentityKey): AppliedApp[] =>
    stores.applied.list(key.directoryId, key.identityId).map(({ updatedAt: _u, ...rest }) => rest);

  return {
    /** Retried without limit while an earlier identity of the same userName is still being deprovisioned (see predecessors.ts). */
    async loadDesiredState(key: IdentityKey): Promise<DesiredState> {
      return desiredFor(key);
    },

    /** Desired and applied state in one call (one local activity instead of two scheduled ones). */
    async loadState(key: IdentityKey): Promise<{ desired: DesiredState; applied: AppliedApp[] }> {
      return { desired: desiredFor(key), applied: appliedFor(key) };
    },

    async loadAppliedState(key: IdentityKey): Promise<AppliedApp[]> {
      return appliedFor(key);
    },

    async createAccount(input: StepInput): Promise<string> {
      const spec = specOf(input);
      const remote = await upsertAccount(input, spec);
      const hash = input.step.kind === 'createAccount' ? input.step.specHash : null;
      save(input, remote, {
        state: spec.active ? 'active' : 'disabled',
        specHash: hash,
        entitlements: current(input)?.entitlements ?? [],
      });
      audit(input, 'account.created', { remoteId: remote.id, userName: spec.userName });
      return remote.id;
    },

    async updateAccount(input: StepInput): Promise<string> {
      const spec = specOf(input);
      const remote = await upsertAccount(input, spec);
      const hash = input.step.kind === 'updateAccount' ? input.step.specHash : null;
      save(input, remote, { state: spec.active ? 'active' : 'disabled', specHash: hash });
      audit(input, spec.active ? 'account.updated' : 'account.disabled', { remoteId: remote.id });
      return remote.id;
    },

    async grantEntitlement(input: StepInput): Promise<void> {
      if (input.step.kind !== 'grantEntitlement') throw new Error('grantEntitlement needs a grant step');
      const known = current(input);
      if (!known?.remoteId) throw new Error(`no account in app ${input.step.appId} to grant to`);
      const { connector } = connectors(input.step.appId);
      await connector.grantEntitlement(known.remoteId, input.step.entitlement, {
        idempotencyKey: input.idempotencyKey,
      });
      save(input, undefined, { entitlements: [...new Set([...known.entitlements, input.step.entitlement])] });
      audit(input, 'entitlement.granted', { entitlement: input.step.entitlement });
    },

    async revokeEntitlement(input: StepInput): Promise<void> {
      if (input.step.kind !== 'revokeEntitlement') throw new Error('revokeEntitlement needs a revoke step');
      alertIfSlow(input);
      const known = current(input);
      const entitlement = input.step.entitlement;
      if (known?.remoteId && known.state !== 'deleted') {
        const { connector } = connectors(input.step.appId);
        await connector.revokeEntitlement(known.remoteId, entitlement, { idempotencyKey: input.idempotencyKey });
      }
      save(input, undefined, { entitlements: (known?.entitlements ?? []).filter((e) => e !== entitlement) });
      audit(input, 'entitlement.revoked', { entitlement });
    },

    async disableAccount(input: StepInput): Promise<void> {
      alertIfSlow(input);
      const known = current(input);
      if (!known?.remoteId) return;
      const { connector } = connectors(input.step.appId);
      const exists = await connector.getAccount(known.remoteId);
      if (exists)
        await connector.updateAccount(
          known.remoteId,
          { ...specOf(input), active: false },
          { idempotencyKey: input.idempotencyKey },
        );
      save(input, undefined, { state: exists ? 'disabled' : 'deleted' });
      audit(input, 'account.disabled', { remoteId: known.remoteId, alreadyGone: !exists });
    },

    async deleteAccount(input: StepInput): Promise<void> {
      alertIfSlow(input);
      const known = current(input);
      if (!known?.remoteId) return;
      const { connector } = connectors(input.step.appId);
      await connector.deleteAccount(known.remoteId, { idempotencyKey: input.idempotencyKey });
      save(input, undefined, { state: 'deleted', entitlements: [] });
      audit(input, 'account.deleted', { remoteId: known.remoteId });
    },

    /** Reads the app back: a revocation counts only once the app itself confirms it. */
    async verifyRevoked(input: StepInput): Promise<boolean> {
      if (input.step.kind !== 'verifyRevoked') throw new Error('verifyRevoked needs a verify step');
      alertIfSlow(input);
      const step = input.step;
      const known = current(input);
      if (!known?.remoteId) return true;
      const { connector } = connectors(step.appId);
      const remote = await connector.getAccount(known.remoteId);
      const stillHeld = remote ? step.entitlements.filter((e) => remote.entitlements.includes(e)) : [];
      if (step.expect === 'deleted' && remote)
        throw new RevocationNotVerifiedError(`account ${remote.id} still exists`);
      if (step.expect === 'disabled' && remote?.active)
        throw new RevocationNotVerifiedError(`account ${remote.id} is still active`);
      if (stillHeld.length > 0) throw new RevocationNotVerifiedError(`account still holds ${stillHeld.join(', ')}`);
      audit(input, 'revocation.verified', { expect: step.expect, entitlements: step.entitlements });
      return true;
    },

    /** Undo of a grant-run's account creation: disable or delete per the app's deprovision setting. */
    async compensateAccount(input: StepInput): Promise<void> {
      const known = current(input);
      if (!known?.remoteId || known.state === 'deleted') return;
      const { app, connector } = connectors(input.step.appId);
      const options = { idempotencyKey: input.idempotencyKey };
      if (app.config.deprovision === 'delete') {
        await connector.deleteAccount(known.remoteId, options);
        save(input, undefined, { state: 'deleted', entitlements: [] });
      } else {
        const remote = await connector.getAccount(known.remoteId);
        if (remote) await connector.updateAccount(known.remoteId, { ...specOf(input), active: false }, options);
        save(input, undefined, { state: remote ? 'disabled' : 'deleted' });
      }
      audit(input, 'compensation.account', { remoteId: known.remoteId });
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
        now().toISOString(),
      );
    },
  };
}
