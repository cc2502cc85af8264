// test/unit/workflows/legacy/plan-v1.test.ts: the first (frozen) planner, still replayed by old histories.
import { expect } from 'chai';
import fc from 'fast-check';
import { classifyChange, planSteps } from '../../../../workflows/legacy/plan-v1';
import type { AppliedApp, DesiredApp, DesiredState, PlanStep } from '../../../../workflows/legacy/types-v1';

const spec = { userName: 'ada@acme.test', active: true };

function app(appId: string, over: Partial<DesiredApp> = {}): DesiredApp {
  return {
    appId,
    appName: appId,
    account: 'active',
    spec,
    specHash: 'h1',
    entitlements: [],
    onGrantFailure: 'rollback',
    deprovision: 'disable',
    ...over,
  };
}

function desired(apps: DesiredApp[], status: DesiredState['status'] = 'active'): DesiredState {
  return {
    directoryId: 'd',
    identityId: 'i',
    userName: 'ada@acme.test',
    status,
    apps,
    latestSeq: 1,
    deactivatedAt: null,
    deactivatedSeq: null,
  };
}

function applied(appId: string, over: Partial<AppliedApp> = {}): AppliedApp {
  return { appId, remoteId: `r-${appId}`, state: 'active', specHash: 'h1', entitlements: [], ...over };
}

const kinds = (steps: PlanStep[]) =>
  steps.map((s) => `${s.kind}:${s.appId}${'entitlement' in s ? `:${s.entitlement}` : ''}`);

/** Applies a plan to an applied state the way successful activities would. */
function simulate(d: DesiredState, state: AppliedApp[], steps: PlanStep[]): AppliedApp[] {
  const next = new Map(state.map((a) => [a.appId, { ...a, entitlements: [...a.entitlements] }]));
  for (const s of steps) {
    const cur = next.get(s.appId) ?? {
      appId: s.appId,
      remoteId: null,
      state: 'deleted' as const,
      specHash: null,
      entitlements: [],
    };
    if (s.kind === 'createAccount' || s.kind === 'updateAccount')
      Object.assign(cur, { remoteId: cur.remoteId ?? `r-${s.appId}`, state: 'active', specHash: s.specHash });
    if (s.kind === 'disableAccount') cur.state = 'disabled';
    if (s.kind === 'deleteAccount') Object.assign(cur, { state: 'deleted', entitlements: [] });
    if (s.kind === 'grantEntitlement') cur.entitlements.push(s.entitlement);
    if (s.kind === 'revokeEntitlement') cur.entitlements = cur.entitlements.filter((e) => e !== s.entitlement);
    next.set(s.appId, cur);
  }
  void d;
  return [...next.values()];
}

describe('planner', function () {
  it('creates an account and then grants entitlements for a joiner', function () {
    const steps = planSteps(desired([app('crm', { entitlements: ['sales'] })]), []);
    expect(kinds(steps)).to.deep.equal(['createAccount:crm', 'grantEntitlement:crm:sales']);
    expect(classifyChange(desired([app('crm')]), steps)).to.equal('joiner');
  });

  it('plans nothing for an identity that is already converged', function () {
    const steps = planSteps(desired([app('crm', { entitlements: ['sales'] })]), [
      applied('crm', { entitlements: ['sales'] }),
    ]);
    expect(steps).to.deep.equal([]);
    expect(classifyChange(desired([]), steps)).to.equal('steady');
  });

  it('revokes stale entitlements before granting new ones for a mover, and verifies the revocation', function () {
    const steps = planSteps(desired([app('crm', { entitlements: ['support'] })]), [
      applied('crm', { entitlements: ['sales'] }),
    ]);
    expect(kinds(steps)).to.deep.equal([
      'revokeEntitlement:crm:sales',
      'verifyRevoked:crm',
      'grantEntitlement:crm:support',
    ]);
    expect(classifyChange(desired([app('crm')]), steps)).to.equal('mover');
  });

  it('updates the account when its attributes changed', function () {
    const steps = planSteps(desired([app('crm', { specHash: 'h2' })]), [applied('crm')]);
    expect(kinds(steps)).to.deep.equal(['updateAccount:crm']);
  });

  it('revokes every entitlement, disables and verifies for a leaver in a disable-mode app', function () {
    const leaver = desired([app('crm', { account: 'disabled', spec: { ...spec, active: false } })], 'inactive');
    const steps = planSteps(leaver, [applied('crm', { entitlements: ['a', 'b'] })]);
    expect(kinds(steps)).to.deep.equal([
      'revokeEntitlement:crm:a',
      'revokeEntitlement:crm:b',
      'disableAccount:crm',
      'verifyRevoked:crm',
    ]);
    expect(classifyChange(leaver, steps)).to.equal('leaver');
  });

  it('deletes and verifies for a leaver in a delete-mode app', function () {
    const leaver = desired([app('crm', { account: 'absent', deprovision: 'delete' })], 'deleted');
    expect(kinds(planSteps(leaver, [applied('crm')]))).to.deep.equal(['deleteAccount:crm', 'verifyRevoked:crm']);
  });

  it('never provisions a leaver who has no account yet', function () {
    expect(planSteps(desired([app('crm', { account: 'disabled' })], 'inactive'), [])).to.deep.equal([]);
  });

  it('re-enables a disabled account when the identity is active again', function () {
    expect(kinds(planSteps(desired([app('crm')]), [applied('crm', { state: 'disabled' })]))).to.deep.equal([
      'updateAccount:crm',
    ]);
  });

  it('puts every revocation of every app before any grant', function () {
    const steps = planSteps(desired([app('a', { entitlements: ['new'] }), app('b', { account: 'disabled' })]), [
      applied('a', { entitlements: ['old'] }),
      applied('b', { entitlements: ['x'] }),
    ]);
    const firstGrant = steps.findIndex((s) => s.kind === 'grantEntitlement');
    const lastRevoke = steps.map((s) => s.kind).lastIndexOf('verifyRevoked');
    expect(lastRevoke).to.be.lessThan(firstGrant);
  });

  it('converges in one plan from any applied state, so a duplicate or replayed event plans nothing more', function () {
    const ents = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 });
    const appliedArb = fc.record({
      appId: fc.constant('crm'),
      remoteId: fc.option(fc.constant('r1'), { nil: null }),
      state: fc.constantFrom('active' as const, 'disabled' as const, 'deleted' as const),
      specHash: fc.option(fc.constantFrom('h1', 'h2'), { nil: null }),
      entitlements: ents,
    });
    const desiredArb = fc.record({
      account: fc.constantFrom('active' as const, 'disabled' as const, 'absent' as const),
      entitlements: ents,
      deprovision: fc.constantFrom('disable' as const, 'delete' as const),
      specHash: fc.constantFrom('h1', 'h2'),
    });
    fc.assert(
      fc.property(desiredArb, appliedArb, (want, have) => {
        const normalised =
          have.state === 'deleted'
            ? { ...have, entitlements: [] }
            : have.remoteId === null
              ? { ...have, state: 'deleted' as const, entitlements: [] }
              : have;
        const account = want.account === 'absent' && want.deprovision === 'disable' ? 'disabled' : want.account;
        const d = desired(
          [app('crm', { ...want, account, entitlements: account === 'active' ? want.entitlements : [] })],
          account === 'active' ? 'active' : 'inactive',
        );
        const after = simulate(d, [normalised], planSteps(d, [normalised]));
        expect(planSteps(d, after)).to.deep.equal([]);
      }),
      { numRuns: 500 },
    );
  });
});
