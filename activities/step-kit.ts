// activities/step-kit.ts: what every step activity shares: the app's connector, applied state, audit, cancellation.
import { Context } from '@temporalio/activity';
import type { Connector, CallOptions, ReadOptions } from '../connectors/connector';
import type { Desired } from '../domain/planner/desired';
import type { Stores } from '../store';
import type { AppliedAccount, AppliedAccountChange } from '../store/applied-state';
import type { IdentityKey } from '../workflows/contracts';
import type { ConnectorResolver } from './connectors';
import { loadDesired } from '../store/desired-state';

export interface ActivityDeps {
  stores: Stores;
  connectors: ConnectorResolver;
  now?: () => Date;
}

/** An (identity, app) pair a step works on, with the idempotency key of the step. */
export interface AppTarget extends IdentityKey {
  appId: string;
  seq: number;
  idempotencyKey: string;
}

export class AmbiguousAccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmbiguousAccountError';
  }
}

export class RevocationNotVerifiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevocationNotVerifiedError';
  }
}

/** The app accepted a grant but does not show it when read back: transient (retried, visible once it keeps failing). */
export class GrantNotVerifiedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GrantNotVerifiedError';
  }
}

export function createStepKit(deps: ActivityDeps) {
  const { stores, connectors } = deps;
  const now = deps.now ?? (() => new Date());

  const info = () => Context.current().info;

  return {
    stores,
    now,
    connector: async (target: AppTarget): Promise<Connector> => (await connectors(target.appId)).connector,
    deprovision: async (target: AppTarget): Promise<'disable' | 'delete'> =>
      (await connectors(target.appId)).app.config.deprovision === 'delete' ? 'delete' : 'disable',
    desired: (key: IdentityKey): Promise<Desired> => loadDesired(stores, key.directoryId, key.identityId),
    applied: (target: AppTarget): Promise<AppliedAccount | undefined> =>
      stores.applied.get(target.directoryId, target.identityId, target.appId),
    save: (target: AppTarget, change: AppliedAccountChange): Promise<AppliedAccount> =>
      stores.applied.save(target.directoryId, target.identityId, target.appId, change),

    async audit(target: AppTarget, action: string, detail: Record<string, unknown> = {}): Promise<void> {
      await stores.applied.audit({
        directoryId: target.directoryId,
        identityId: target.identityId,
        appId: target.appId,
        action,
        seq: target.seq,
        workflowId: info().workflowExecution?.workflowId,
        attempt: info().attempt,
        detail: { idempotencyKey: target.idempotencyKey, ...detail },
      });
    },

    /**
     * Between downstream calls: tells Temporal this worker is alive, and stops a step that was cancelled (a newer change
     * pre-empted a grant) before its next call. A call already sent is never aborted half-way for a grant.
     */
    checkpoint(): void {
      const context = Context.current();
      if (!context.info.isLocal) context.heartbeat(); // local activities have no heartbeat (their task is the workflow's)
      context.cancellationSignal.throwIfAborted();
    },

    /** Options for reads and for revocation writes: those may be aborted (they are re-read and re-verified anyway). */
    abortable(target: AppTarget, suffix = ''): CallOptions & ReadOptions {
      return { idempotencyKey: `${target.idempotencyKey}${suffix}`, signal: Context.current().cancellationSignal };
    },

    /** Options for writes that give access: never aborted mid-request, so a cancelled grant leaves no unclear outcome. */
    whole(target: AppTarget, suffix = ''): CallOptions {
      return { idempotencyKey: `${target.idempotencyKey}${suffix}` };
    },
  };
}

export type StepKit = ReturnType<typeof createStepKit>;
