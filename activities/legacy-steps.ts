// activities/legacy-steps.ts: the first planner's step activities, for workflow runs recorded before per-app convergence.
//
// A workflow that was waiting on one of these steps when its worker was upgraded replays on the old code path
// (workflows/legacy/) and still schedules them; each is served by today's implementation. Remove this file once no
// history recorded before the `per-app-lanes-2026-12` patch is open (`scimflow` workers log no call to these).
import type {
  AppliedApp as AppliedAppV1,
  DesiredState as DesiredStateV1,
  StepInput,
} from '../workflows/legacy/types-v1';
import type { GrantInput, IdentityKey, RevokeInput } from '../workflows/contracts';
import type { createAccountSteps } from './account-steps';
import type { createEntitlementSteps } from './entitlement-steps';
import type { createIdentityStateActivities } from './identity-state';
import type { StepKit } from './step-kit';

type Steps = ReturnType<typeof createAccountSteps> &
  ReturnType<typeof createEntitlementSteps> &
  ReturnType<typeof createIdentityStateActivities>;

const target = (input: StepInput) => ({
  directoryId: input.directoryId,
  identityId: input.identityId,
  appId: input.step.appId,
  seq: input.seq,
  idempotencyKey: input.idempotencyKey,
});

export function createLegacyActivities(kit: StepKit, steps: Steps) {
  const appliedV1 = async (key: IdentityKey): Promise<AppliedAppV1[]> =>
    (await kit.stores.applied.list(key.directoryId, key.identityId)).map((a) => ({
      appId: a.appId,
      remoteId: a.state === 'pending' ? null : a.remoteId,
      state: a.state === 'pending' ? 'deleted' : a.state,
      specHash: a.specHash,
      entitlements: a.entitlements,
    }));

  const desiredV1 = async (key: IdentityKey): Promise<DesiredStateV1> => {
    const { desired } = await steps.loadIdentity(key);
    const spec = (await kit.desired(key)).spec ?? { userName: '', active: false };
    return {
      ...desired,
      userName: spec.userName,
      apps: desired.apps.map((app) => ({ ...app, spec: { ...spec, active: app.account === 'active' } })),
    };
  };

  const provision = async (input: StepInput): Promise<string> => {
    const grant: GrantInput = { ...target(input), step: { kind: 'provisionAccount', specHash: '', create: true } };
    await steps.provisionAccount(grant);
    return (await kit.applied(grant))?.remoteId ?? '';
  };

  const revoke = (input: StepInput, step: RevokeInput['step']) => ({ ...target(input), step });

  return {
    loadDesiredState: desiredV1,
    loadAppliedState: async (key: IdentityKey) => appliedV1(key),
    loadState: async (key: IdentityKey) => ({ desired: await desiredV1(key), applied: await appliedV1(key) }),
    createAccount: provision,
    updateAccount: provision,
    async grantEntitlement(input: StepInput): Promise<void> {
      if (input.step.kind !== 'grantEntitlement') throw new Error('grantEntitlement needs a grant step');
      await steps.grantEntitlements({
        ...target(input),
        step: { kind: 'grantEntitlements', entitlements: [input.step.entitlement] },
      });
    },
    async revokeEntitlement(input: StepInput): Promise<void> {
      if (input.step.kind !== 'revokeEntitlement') throw new Error('revokeEntitlement needs a revoke step');
      await steps.revokeEntitlements(
        revoke(input, { kind: 'revokeEntitlements', entitlements: [input.step.entitlement] }),
      );
    },
    disableAccount: (input: StepInput) =>
      steps.revokeAccount(revoke(input, { kind: 'revokeAccount', mode: 'disable' })),
    deleteAccount: (input: StepInput) => steps.revokeAccount(revoke(input, { kind: 'revokeAccount', mode: 'delete' })),
    async verifyRevoked(input: StepInput): Promise<boolean> {
      if (input.step.kind !== 'verifyRevoked') throw new Error('verifyRevoked needs a verify step');
      if (input.step.expect === 'entitlements')
        await steps.revokeEntitlements(
          revoke(input, { kind: 'revokeEntitlements', entitlements: input.step.entitlements }),
        );
      else
        await steps.revokeAccount(
          revoke(input, { kind: 'revokeAccount', mode: input.step.expect === 'deleted' ? 'delete' : 'disable' }),
        );
      return true;
    },
    compensateAccount: (input: StepInput) => steps.compensateApp({ ...target(input), entitlements: [], account: true }),
  };
}
