// test/unit/domain/planner/plan.test.ts: the per-app planner: (status, desired, applied) → revocations, then grants.
import { expect } from 'chai';
import fc from 'fast-check';
import { classifyChange, isEmptyPlan, planApp, planApps, settledLabel } from '../../../../domain/planner/plan';
import type {
  AppliedApp,
  AppPlan,
  DesiredApp,
  DesiredState,
  IdentityStatus,
  RevokeStep,
} from '../../../../domain/planner/types';

function want(appId: string, over: Partial<DesiredApp> = {}): DesiredApp {
  return {
    appId,
    appName: appId,
    account: 'active',
    specHash: 'h1',
    entitlements: [],
    onGrantFailure: 'rollback',
    deprovision: 'disable',
    ...over,
  };
}

/** What a leaver's desired app looks like (desiredFromFacts: no bundle → disabled, or absent in a delete-mode app). */
function gone(appId: string, deprovision: 'disable' | 'delete' = 'disable'): DesiredApp {
  return want(appId, { account: deprovision === 'delete' ? 'absent' : 'disabled', deprovision });
}

function have(appId: string, over: Partial<AppliedApp> = {}): AppliedApp {
  return {
    appId,
    remoteId: `r-${appId}`,
    state: 'active',
    specHash: 'h1',
    entitlements: [],
    revocationVerified: false,
    ...over,
  };
}

function desired(status: IdentityStatus, apps: DesiredApp[]): DesiredState {
  return {
    directoryId: 'dir',
    identityId: 'id-1',
    label: 'ada@acme.test',
    status,
    apps,
    latestSeq: 7,
    deactivatedAt: null,
    deactivatedSeq: null,
  };
}

const empty = (appId: string): AppPlan => ({ appId, revoke: [], grant: [] });

/**
 * The applied state successful activities leave behind (activities/account-steps.ts, entitlement-steps.ts).
 * `accountInApp` says whether revokeAccount's search finds an account; when it finds none it records the app as
 * deleted and verified.
 */
function applyPlan(
  appId: string,
  before: AppliedApp | undefined,
  plan: AppPlan,
  accountInApp: boolean,
): AppliedApp | undefined {
  let cur = before ? { ...before, entitlements: [...before.entitlements] } : undefined;
  const base = (): AppliedApp =>
    cur ?? { appId, remoteId: null, state: 'deleted', specHash: null, entitlements: [], revocationVerified: false };
  for (const step of [...plan.revoke, ...plan.grant]) {
    switch (step.kind) {
      case 'revokeAccount': {
        const found = accountInApp && cur !== undefined && cur.remoteId !== null && cur.state !== 'deleted';
        cur =
          !found || step.mode === 'delete'
            ? { ...base(), state: 'deleted', entitlements: [], revocationVerified: true }
            : { ...base(), state: 'disabled', revocationVerified: true };
        break;
      }
      case 'revokeEntitlements':
        cur = { ...base(), entitlements: base().entitlements.filter((e) => !step.entitlements.includes(e)) };
        break;
      case 'provisionAccount':
        cur = {
          ...base(),
          remoteId: base().remoteId ?? `r-${appId}`,
          state: 'active',
          specHash: step.specHash,
          revocationVerified: false,
          ...(step.create ? { entitlements: [] } : {}), // a create records an intent (no entitlements) first
        };
        break;
      case 'grantEntitlements':
        // The read-back confirms what the step granted.
        cur = {
          ...base(),
          entitlements: [...base().entitlements, ...step.entitlements.filter((e) => !base().entitlements.includes(e))],
          unconfirmedEntitlements: (base().unconfirmedEntitlements ?? []).filter((e) => !step.entitlements.includes(e)),
        };
        break;
    }
    // The store keeps unconfirmed grants a subset of the recorded ones.
    const kept = cur?.unconfirmedEntitlements?.filter((e) => cur!.entitlements.includes(e));
    if (cur) cur = { ...cur, unconfirmedEntitlements: kept ?? [] };
  }
  return cur;
}

// Generators for applied states the store can hold: no remote id only while pending or deleted, and no entitlements
// recorded once an account is pending (an intent) or gone.
const ENTITLEMENTS = ['admin', 'billing', 'dev', 'ops', 'sales'] as const;
const entitlementsArb: fc.Arbitrary<string[]> = fc.uniqueArray(fc.constantFrom(...ENTITLEMENTS), { maxLength: 5 });
const appliedArb = (appId: string): fc.Arbitrary<AppliedApp> =>
  fc
    .record({
      remoteId: fc.option(fc.constant(`r-${appId}`), { nil: null }),
      state: fc.constantFrom('pending' as const, 'active' as const, 'disabled' as const, 'deleted' as const),
      specHash: fc.option(fc.constantFrom('h1', 'h2'), { nil: null }),
      entitlements: entitlementsArb,
      unconfirmed: entitlementsArb,
      revocationVerified: fc.boolean(),
    })
    .map(({ unconfirmed, ...a }) => {
      const state = a.remoteId === null && (a.state === 'active' || a.state === 'disabled') ? 'pending' : a.state;
      const noAccount = state === 'pending' || state === 'deleted';
      // Grants recorded before a call whose outcome is unknown: a subset of the recorded entitlements.
      const unconfirmedEntitlements = noAccount ? [] : a.entitlements.filter((e) => unconfirmed.includes(e));
      return {
        appId,
        ...a,
        state,
        entitlements: noAccount ? [] : a.entitlements,
        ...(unconfirmedEntitlements.length > 0 ? { unconfirmedEntitlements } : {}),
        revocationVerified: state === 'active' || state === 'pending' ? false : a.revocationVerified,
      };
    });
const maybeApplied = (appId: string) => fc.option(appliedArb(appId), { nil: undefined });
const deprovisionArb = fc.constantFrom('disable' as const, 'delete' as const);
const leaverStatusArb = fc.constantFrom('inactive' as const, 'deleted' as const, 'unknown' as const);

describe('planApp', function () {
  describe('joiners', function () {
    it('creates the account with the spec hash, then grants every entitlement, when nothing is recorded', function () {
      const plan = planApp('active', 'crm', want('crm', { entitlements: ['sales', 'reports'] }), undefined);
      expect(plan).to.deep.equal({
        appId: 'crm',
        revoke: [],
        grant: [
          { kind: 'provisionAccount', specHash: 'h1', create: true },
          { kind: 'grantEntitlements', entitlements: ['sales', 'reports'] },
        ],
      });
    });

    it('creates the account, with no entitlement step, when the bundle has no entitlements', function () {
      expect(planApp('active', 'crm', want('crm'), undefined).grant).to.deep.equal([
        { kind: 'provisionAccount', specHash: 'h1', create: true },
      ]);
    });

    it('creates again when only an intent was recorded, ignoring entitlements an intent cannot hold', function () {
      const pending = have('crm', { state: 'pending', remoteId: null, specHash: null, entitlements: ['sales'] });
      const plan = planApp('active', 'crm', want('crm', { entitlements: ['sales'] }), pending);
      expect(plan.revoke).to.deep.equal([]);
      expect(plan.grant).to.deep.equal([
        { kind: 'provisionAccount', specHash: 'h1', create: true },
        { kind: 'grantEntitlements', entitlements: ['sales'] },
      ]);
    });

    it('creates again when the recorded account was deleted, re-granting what the deleted account held', function () {
      const deleted = have('crm', { state: 'deleted', revocationVerified: true, entitlements: ['sales'] });
      const plan = planApp('active', 'crm', want('crm', { entitlements: ['sales'] }), deleted);
      expect(plan.revoke).to.deep.equal([]);
      expect(plan.grant).to.deep.equal([
        { kind: 'provisionAccount', specHash: 'h1', create: true },
        { kind: 'grantEntitlements', entitlements: ['sales'] },
      ]);
    });

    it('creates when the app row has no remote id, even if it says disabled', function () {
      const plan = planApp('active', 'crm', want('crm'), have('crm', { state: 'disabled', remoteId: null }));
      expect(plan.grant).to.deep.equal([{ kind: 'provisionAccount', specHash: 'h1', create: true }]);
    });
  });

  describe('movers', function () {
    it('plans nothing when the account and its entitlements already match', function () {
      const plan = planApp(
        'active',
        'crm',
        want('crm', { entitlements: ['a', 'b'] }),
        have('crm', { entitlements: ['b', 'a'] }),
      );
      expect(plan).to.deep.equal(empty('crm'));
    });

    it('revokes stale entitlements and grants new ones, revocations in the revoke list', function () {
      const plan = planApp(
        'active',
        'crm',
        want('crm', { entitlements: ['keep', 'new'] }),
        have('crm', { entitlements: ['old', 'keep', 'older'] }),
      );
      expect(plan).to.deep.equal({
        appId: 'crm',
        revoke: [{ kind: 'revokeEntitlements', entitlements: ['old', 'older'] }],
        grant: [{ kind: 'grantEntitlements', entitlements: ['new'] }],
      });
    });

    // A grant recorded before its call, the call failed (an outage) and a newer change cancelled the retry: the next plan
    // must not take the record for the membership (found by the SCIM property, seed -392630559).
    it('grants again a wanted entitlement that is recorded but unconfirmed, and revokes one no longer wanted', function () {
      const plan = planApp(
        'active',
        'crm',
        want('crm', { specHash: 'h2', entitlements: ['ops', 'sales'] }),
        have('crm', { entitlements: ['ops', 'old', 'sales'], unconfirmedEntitlements: ['ops', 'old'] }),
      );
      expect(plan).to.deep.equal({
        appId: 'crm',
        revoke: [{ kind: 'revokeEntitlements', entitlements: ['old'] }],
        grant: [
          { kind: 'provisionAccount', specHash: 'h2', create: false },
          { kind: 'grantEntitlements', entitlements: ['ops'] },
        ],
      });
    });

    it('revokes an unconfirmed entitlement of a leaver like a confirmed one', function () {
      const plan = planApp(
        'inactive',
        'crm',
        gone('crm'),
        have('crm', { entitlements: ['ops'], unconfirmedEntitlements: ['ops'] }),
      );
      expect(plan.revoke).to.deep.equal([
        { kind: 'revokeAccount', mode: 'disable' },
        { kind: 'revokeEntitlements', entitlements: ['ops'] },
      ]);
      expect(plan.grant).to.deep.equal([]);
    });

    it('revokes every held entitlement when the bundle keeps the account but drops all entitlements', function () {
      const plan = planApp('active', 'crm', want('crm'), have('crm', { entitlements: ['a', 'b'] }));
      expect(plan.revoke).to.deep.equal([{ kind: 'revokeEntitlements', entitlements: ['a', 'b'] }]);
      expect(plan.grant).to.deep.equal([]);
    });

    it('updates the account in place when its spec hash changed', function () {
      const plan = planApp('active', 'crm', want('crm', { specHash: 'h2' }), have('crm', { specHash: 'h1' }));
      expect(plan).to.deep.equal({
        appId: 'crm',
        revoke: [],
        grant: [{ kind: 'provisionAccount', specHash: 'h2', create: false }],
      });
    });

    it('updates the account when no spec hash was recorded', function () {
      const plan = planApp('active', 'crm', want('crm'), have('crm', { specHash: null }));
      expect(plan.grant).to.deep.equal([{ kind: 'provisionAccount', specHash: 'h1', create: false }]);
    });

    it('re-enables a disabled account in place (no create), then grants what is missing', function () {
      const disabled = have('crm', { state: 'disabled', revocationVerified: true, entitlements: ['a'] });
      const plan = planApp('active', 'crm', want('crm', { entitlements: ['a', 'b'] }), disabled);
      expect(plan).to.deep.equal({
        appId: 'crm',
        revoke: [],
        grant: [
          { kind: 'provisionAccount', specHash: 'h1', create: false },
          { kind: 'grantEntitlements', entitlements: ['b'] },
        ],
      });
    });

    it('puts the account step before the entitlement grants', function () {
      const plan = planApp('active', 'crm', want('crm', { specHash: 'h2', entitlements: ['x'] }), have('crm'));
      expect(plan.grant.map((s) => s.kind)).to.deep.equal(['provisionAccount', 'grantEntitlements']);
    });

    it('disables and cleans up an account in an app the active identity left, without granting', function () {
      const plan = planApp('active', 'crm', gone('crm'), have('crm', { entitlements: ['a'] }));
      expect(plan).to.deep.equal({
        appId: 'crm',
        revoke: [
          { kind: 'revokeAccount', mode: 'disable' },
          { kind: 'revokeEntitlements', entitlements: ['a'] },
        ],
        grant: [],
      });
    });

    it('does not search an app the active identity never had and does not need', function () {
      expect(planApp('active', 'crm', gone('crm'), undefined)).to.deep.equal(empty('crm'));
      expect(planApp('active', 'crm', gone('crm', 'delete'), undefined)).to.deep.equal(empty('crm'));
    });
  });

  describe('leavers', function () {
    for (const status of ['inactive', 'deleted', 'unknown'] as const) {
      it(`disables the account first, then revokes every entitlement, when the identity is ${status}`, function () {
        const plan = planApp(status, 'crm', gone('crm'), have('crm', { entitlements: ['a', 'b', 'c'] }));
        expect(plan).to.deep.equal({
          appId: 'crm',
          revoke: [
            { kind: 'revokeAccount', mode: 'disable' },
            { kind: 'revokeEntitlements', entitlements: ['a', 'b', 'c'] },
          ],
          grant: [],
        });
      });

      it(`still searches the app when the identity is ${status} and no account is recorded`, function () {
        expect(planApp(status, 'crm', gone('crm'), undefined)).to.deep.equal({
          appId: 'crm',
          revoke: [{ kind: 'revokeAccount', mode: 'disable' }],
          grant: [],
        });
        expect(planApp(status, 'crm', gone('crm', 'delete'), undefined)).to.deep.equal({
          appId: 'crm',
          revoke: [{ kind: 'revokeAccount', mode: 'delete' }],
          grant: [],
        });
      });
    }

    it('deletes the account in a delete-mode app (deleting takes the entitlements with it)', function () {
      const plan = planApp('deleted', 'crm', gone('crm', 'delete'), have('crm', { entitlements: ['a', 'b'] }));
      expect(plan).to.deep.equal({ appId: 'crm', revoke: [{ kind: 'revokeAccount', mode: 'delete' }], grant: [] });
    });

    it('searches the app when only a create intent was recorded', function () {
      const pending = have('crm', { state: 'pending', remoteId: null, specHash: null });
      expect(planApp('inactive', 'crm', gone('crm'), pending).revoke).to.deep.equal([
        { kind: 'revokeAccount', mode: 'disable' },
      ]);
    });

    it('searches the app again when the account is recorded deleted but the deletion was never verified', function () {
      const compensated = have('crm', { state: 'deleted', revocationVerified: false });
      expect(planApp('inactive', 'crm', gone('crm'), compensated).revoke).to.deep.equal([
        { kind: 'revokeAccount', mode: 'disable' },
      ]);
    });

    it('disables again when a disabled account was never read back as disabled', function () {
      const unverified = have('crm', { state: 'disabled', revocationVerified: false });
      expect(planApp('inactive', 'crm', gone('crm'), unverified).revoke).to.deep.equal([
        { kind: 'revokeAccount', mode: 'disable' },
      ]);
    });

    it('plans nothing for an account already verified disabled, with no entitlements left', function () {
      const done = have('crm', { state: 'disabled', revocationVerified: true });
      expect(planApp('inactive', 'crm', gone('crm'), done)).to.deep.equal(empty('crm'));
      expect(isEmptyPlan(planApp('inactive', 'crm', gone('crm'), done))).to.equal(true);
    });

    it('plans nothing for an account already verified deleted, in either deprovision mode', function () {
      const done = have('crm', { state: 'deleted', revocationVerified: true });
      expect(planApp('deleted', 'crm', gone('crm', 'delete'), done)).to.deep.equal(empty('crm'));
      expect(planApp('inactive', 'crm', gone('crm'), done)).to.deep.equal(empty('crm'));
    });

    it('only cleans up entitlements left on an account already verified disabled', function () {
      const disabled = have('crm', { state: 'disabled', revocationVerified: true, entitlements: ['a'] });
      expect(planApp('inactive', 'crm', gone('crm'), disabled)).to.deep.equal({
        appId: 'crm',
        revoke: [{ kind: 'revokeEntitlements', entitlements: ['a'] }],
        grant: [],
      });
    });

    it('deletes an account that is verified disabled when the app now deprovisions by deleting', function () {
      const disabled = have('crm', { state: 'disabled', revocationVerified: true });
      expect(planApp('deleted', 'crm', gone('crm', 'delete'), disabled).revoke).to.deep.equal([
        { kind: 'revokeAccount', mode: 'delete' },
      ]);
    });

    it('does not trust a verified flag on an account recorded active', function () {
      const active = have('crm', { state: 'active', revocationVerified: true });
      expect(planApp('inactive', 'crm', gone('crm'), active).revoke).to.deep.equal([
        { kind: 'revokeAccount', mode: 'disable' },
      ]);
    });
  });

  it('plans nothing for an app that is no longer configured, whatever was applied there', function () {
    for (const status of ['active', 'inactive', 'deleted'] as const) {
      expect(planApp(status, 'old', undefined, have('old', { entitlements: ['a'] }))).to.deep.equal(empty('old'));
      expect(planApp(status, 'old', undefined, undefined)).to.deep.equal(empty('old'));
    }
  });

  it('never changes its inputs', function () {
    const w = Object.freeze(want('crm', { entitlements: Object.freeze(['a', 'new']) as string[] }));
    const h = Object.freeze(have('crm', { entitlements: Object.freeze(['a', 'old']) as string[] }));
    const before = JSON.stringify([w, h]);
    const plan = planApp('active', 'crm', w, h);
    expect(plan.revoke).to.have.length(1);
    expect(JSON.stringify([w, h])).to.equal(before);
  });

  describe('properties', function () {
    it('plans nothing from the applied state its own plan produces (one plan converges)', function () {
      fc.assert(
        fc.property(
          fc.constantFrom<IdentityStatus>('active', 'inactive', 'deleted', 'unknown'),
          fc.record({
            inBundle: fc.boolean(),
            entitlements: entitlementsArb,
            specHash: fc.constantFrom('h1', 'h2'),
            deprovision: deprovisionArb,
          }),
          maybeApplied('crm'),
          fc.boolean(),
          (status, w, h, accountInApp) => {
            // desiredFromFacts only gives an active identity an active account.
            const wanted =
              status === 'active' && w.inBundle
                ? want('crm', { entitlements: w.entitlements, specHash: w.specHash, deprovision: w.deprovision })
                : want('crm', { ...gone('crm', w.deprovision), specHash: w.specHash });
            const first = planApp(status, 'crm', wanted, h);
            const after = applyPlan('crm', h, first, accountInApp);
            expect(planApp(status, 'crm', wanted, after)).to.deep.equal(empty('crm'));
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('revokes everything and grants nothing for every leaver, whatever was applied', function () {
      fc.assert(
        fc.property(leaverStatusArb, deprovisionArb, maybeApplied('crm'), (status, deprovision, h) => {
          const plan = planApp(status, 'crm', gone('crm', deprovision), h);
          expect(plan.grant).to.deep.equal([]);

          const accountSteps = plan.revoke.filter((s) => s.kind === 'revokeAccount');
          const entitlementSteps = plan.revoke.filter((s) => s.kind === 'revokeEntitlements');
          const accountDone =
            h !== undefined &&
            h.revocationVerified &&
            (h.state === 'deleted' || (h.state === 'disabled' && deprovision === 'disable'));
          // The account is revoked in the app's mode unless the app already confirmed it; a search happens even with
          // nothing recorded.
          expect(accountSteps).to.deep.equal(accountDone ? [] : [{ kind: 'revokeAccount', mode: deprovision }]);
          // Access goes first: the account step leads.
          if (!accountDone) expect(plan.revoke[0]).to.deep.equal({ kind: 'revokeAccount', mode: deprovision });
          // Every entitlement the live account holds goes (a deleted account takes them with it).
          const held = h && (h.state === 'active' || h.state === 'disabled') ? h.entitlements : [];
          const revoked = entitlementSteps.flatMap((s) => s.entitlements);
          if (deprovision === 'disable') expect(revoked).to.have.members(held);
          else expect(revoked).to.deep.equal([]);
        }),
        { numRuns: 1000 },
      );
    });

    it('leaves every leaver revoked and verified once its plan ran', function () {
      fc.assert(
        fc.property(
          leaverStatusArb,
          deprovisionArb,
          maybeApplied('crm'),
          fc.boolean(),
          (status, deprovision, h, accountInApp) => {
            const after = applyPlan('crm', h, planApp(status, 'crm', gone('crm', deprovision), h), accountInApp);
            expect(after, 'a leaver is always searched for').to.not.equal(undefined);
            expect(after!.revocationVerified).to.equal(true);
            expect(after!.state).to.be.oneOf(deprovision === 'delete' ? ['deleted'] : ['disabled', 'deleted']);
            expect(after!.entitlements).to.deep.equal([]);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('gives an active identity exactly its bundle, with no entitlement both revoked and granted', function () {
      fc.assert(
        fc.property(entitlementsArb, maybeApplied('crm'), (ents, h) => {
          const plan = planApp('active', 'crm', want('crm', { entitlements: ents }), h);
          const revoked = plan.revoke.flatMap((s) => (s.kind === 'revokeEntitlements' ? s.entitlements : []));
          const granted = plan.grant.flatMap((s) => (s.kind === 'grantEntitlements' ? s.entitlements : []));
          expect(plan.revoke.some((s) => s.kind === 'revokeAccount')).to.equal(false);
          expect(revoked.filter((e) => granted.includes(e))).to.deep.equal([]);
          expect(revoked.filter((e) => ents.includes(e))).to.deep.equal([]);
          const after = applyPlan('crm', h, plan, true)!;
          expect(after.state).to.equal('active');
          expect(after.entitlements).to.have.members(ents);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('planApps', function () {
  it('plans every desired and every applied app once, sorted by app id', function () {
    const d = desired('active', [want('wiki'), want('crm', { entitlements: ['x'] })]);
    const plans = planApps(d, [have('zoo'), have('crm', { entitlements: ['x'] }), have('alpha')]);
    expect(plans.map((p) => p.appId)).to.deep.equal(['alpha', 'crm', 'wiki', 'zoo']);
    expect(plans.find((p) => p.appId === 'crm')).to.deep.equal(empty('crm'));
    expect(plans.find((p) => p.appId === 'wiki')!.grant).to.deep.equal([
      { kind: 'provisionAccount', specHash: 'h1', create: true },
    ]);
    // Applied apps that are no longer configured cannot be reached: empty plans.
    expect(plans.find((p) => p.appId === 'alpha')).to.deep.equal(empty('alpha'));
    expect(plans.find((p) => p.appId === 'zoo')).to.deep.equal(empty('zoo'));
  });

  it('returns no plans for an identity with no apps and nothing applied', function () {
    expect(planApps(desired('unknown', []), [])).to.deep.equal([]);
  });

  it("pairs each app's desired state with its own applied row", function () {
    const d = desired('inactive', [gone('a'), gone('b', 'delete')]);
    const plans = planApps(d, [have('b', { entitlements: ['x'] }), have('a', { entitlements: ['y'] })]);
    expect(plans).to.deep.equal([
      {
        appId: 'a',
        revoke: [
          { kind: 'revokeAccount', mode: 'disable' },
          { kind: 'revokeEntitlements', entitlements: ['y'] },
        ],
        grant: [],
      },
      { appId: 'b', revoke: [{ kind: 'revokeAccount', mode: 'delete' }], grant: [] },
    ]);
  });

  it('searches every configured app for a leaver that never had an applied row anywhere', function () {
    const plans = planApps(desired('deleted', [gone('crm'), gone('git', 'delete')]), []);
    expect(plans.map((p) => p.revoke)).to.deep.equal([
      [{ kind: 'revokeAccount', mode: 'disable' }],
      [{ kind: 'revokeAccount', mode: 'delete' }],
    ]);
    expect(plans.every(isEmptyPlan)).to.equal(false);
    expect(classifyChange(desired('deleted', []), plans)).to.equal('leaver');
  });

  it('converges every app of an identity in one round, in any mix of apps', function () {
    const appIds = ['a', 'b', 'c'];
    fc.assert(
      fc.property(
        fc.constantFrom<IdentityStatus>('active', 'inactive', 'deleted'),
        fc.tuple(
          ...appIds.map(() =>
            fc.record({ configured: fc.boolean(), inBundle: fc.boolean(), ents: entitlementsArb, dep: deprovisionArb }),
          ),
        ),
        fc.tuple(...appIds.map((id) => maybeApplied(id))),
        fc.boolean(),
        (status, wants, haves, accountInApp) => {
          const apps = appIds.flatMap((id, i) => {
            const w = wants[i]!;
            if (!w.configured) return [];
            return [status === 'active' && w.inBundle ? want(id, { entitlements: w.ents }) : gone(id, w.dep)];
          });
          const applied = haves.flatMap((h) => (h ? [h] : []));
          const d = desired(status, apps);
          const plans = planApps(d, applied);
          if (status !== 'active') expect(plans.flatMap((p) => p.grant)).to.deep.equal([]);
          const after = plans.flatMap((p) => {
            const next = applyPlan(
              p.appId,
              applied.find((a) => a.appId === p.appId),
              p,
              accountInApp,
            );
            return next ? [next] : [];
          });
          const again = planApps(d, after);
          expect(again.every(isEmptyPlan)).to.equal(true);
          expect(classifyChange(d, again)).to.equal('steady');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('isEmptyPlan', function () {
  it('is true only when there is nothing to revoke and nothing to grant', function () {
    const revoke: RevokeStep = { kind: 'revokeAccount', mode: 'disable' };
    expect(isEmptyPlan(empty('a'))).to.equal(true);
    expect(isEmptyPlan({ appId: 'a', revoke: [revoke], grant: [] })).to.equal(false);
    expect(
      isEmptyPlan({ appId: 'a', revoke: [], grant: [{ kind: 'grantEntitlements', entitlements: ['x'] }] }),
    ).to.equal(false);
  });
});

describe('classifyChange', function () {
  const create: AppPlan = {
    appId: 'crm',
    revoke: [],
    grant: [{ kind: 'provisionAccount', specHash: 'h1', create: true }],
  };
  const update: AppPlan = {
    appId: 'crm',
    revoke: [],
    grant: [{ kind: 'provisionAccount', specHash: 'h2', create: false }],
  };
  const revokeOnly: AppPlan = {
    appId: 'git',
    revoke: [{ kind: 'revokeEntitlements', entitlements: ['x'] }],
    grant: [],
  };

  it('labels a change with nothing to do steady, whatever the status', function () {
    for (const status of ['active', 'inactive', 'deleted', 'unknown'] as const) {
      expect(classifyChange(desired(status, []), [])).to.equal('steady');
      expect(classifyChange(desired(status, []), [empty('a'), empty('b')])).to.equal('steady');
    }
  });

  it('labels any non-active identity with work to do a leaver', function () {
    for (const status of ['inactive', 'deleted', 'unknown'] as const) {
      expect(classifyChange(desired(status, []), [revokeOnly])).to.equal('leaver');
      expect(classifyChange(desired(status, []), [empty('a'), create])).to.equal('leaver');
    }
  });

  it('labels an active identity that gets a new account somewhere a joiner', function () {
    expect(classifyChange(desired('active', []), [create])).to.equal('joiner');
    expect(classifyChange(desired('active', []), [revokeOnly, create])).to.equal('joiner');
  });

  it('labels an active identity whose accounts already exist, with changes, a mover', function () {
    expect(classifyChange(desired('active', []), [update])).to.equal('mover');
    expect(classifyChange(desired('active', []), [revokeOnly])).to.equal('mover');
    expect(
      classifyChange(desired('active', []), [
        { appId: 'x', revoke: [], grant: [{ kind: 'grantEntitlements', entitlements: ['e'] }] },
      ]),
    ).to.equal('mover');
  });

  it('labels plans straight from the planner: joiner, re-enable (mover), leaver', function () {
    const joiner = desired('active', [want('crm', { entitlements: ['a'] })]);
    expect(classifyChange(joiner, planApps(joiner, []))).to.equal('joiner');
    const rehired = desired('active', [want('crm')]);
    expect(
      classifyChange(rehired, planApps(rehired, [have('crm', { state: 'disabled', revocationVerified: true })])),
    ).to.equal('mover');
    const leaver = desired('inactive', [gone('crm')]);
    expect(classifyChange(leaver, planApps(leaver, [have('crm')]))).to.equal('leaver');
  });
});

describe('settledLabel', function () {
  it('maps each identity status to the label it carries once converged', function () {
    expect(settledLabel('active')).to.equal('active');
    expect(settledLabel('inactive')).to.equal('suspended');
    expect(settledLabel('deleted')).to.equal('deprovisioned');
    expect(settledLabel('unknown')).to.equal('deprovisioned');
  });
});
