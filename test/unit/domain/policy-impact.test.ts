// test/unit/domain/policy-impact.test.ts: what a policy change does to identities, counted for `policy set --dry-run`.
import { expect } from 'chai';
import type { DesiredApp, DesiredState } from '../../../domain/planner/types';
import { identityImpact, summarizeImpact } from '../../../domain/policy/impact';

const app = (appName: string, entitlements: string[], account: DesiredApp['account'] = 'active'): DesiredApp => ({
  appId: `id-${appName}`,
  appName,
  account,
  specHash: 'h',
  entitlements,
  onGrantFailure: 'rollback',
  deprovision: 'disable',
});

const state = (identityId: string, apps: DesiredApp[]): DesiredState => ({
  directoryId: 'd',
  identityId,
  label: `${identityId}@acme.test`,
  status: 'active',
  apps,
  latestSeq: 1,
  deactivatedAt: null,
  deactivatedSeq: null,
});

describe('policy impact', function () {
  it('lists the accounts and entitlements an identity gains and loses', function () {
    const before = state('u1', [app('wiki', ['editor', 'reader']), app('crm', [])]);
    const after = state('u1', [app('wiki', ['reader', 'admin']), app('vault', ['ops'])]);
    expect(identityImpact(before, after)).to.deep.equal({
      identityId: 'u1',
      label: 'u1@acme.test',
      accountsGained: ['vault'],
      accountsLost: ['crm'],
      entitlementsGained: ['vault:ops', 'wiki:admin'],
      entitlementsLost: ['wiki:editor'],
    });
  });

  it('finds nothing when the accounts and entitlements stay the same (order and spec aside)', function () {
    const before = state('u1', [app('wiki', ['a', 'b'])]);
    const after = state('u1', [{ ...app('wiki', ['b', 'a']), specHash: 'other' }]);
    expect(identityImpact(before, after)).to.equal(undefined);
  });

  it('counts an account that is no longer active as lost (a disabled one grants nothing)', function () {
    const before = state('u1', [app('wiki', ['editor'])]);
    const after = state('u1', [app('wiki', [], 'disabled')]);
    expect(identityImpact(before, after)).to.deep.include({
      accountsLost: ['wiki'],
      entitlementsLost: ['wiki:editor'],
    });
  });

  it('sums the impact per account and entitlement, app names like constructor included', function () {
    const impacts = [
      identityImpact(state('u1', []), state('u1', [app('constructor', ['x'])]))!,
      identityImpact(state('u2', []), state('u2', [app('constructor', ['x']), app('wiki', [])]))!,
    ];
    expect(summarizeImpact(5, impacts)).to.deep.equal({
      identitiesScanned: 5,
      identitiesAffected: 2,
      accountsGained: { constructor: 2, wiki: 1 },
      accountsLost: {},
      entitlementsGained: { 'constructor:x': 2 },
      entitlementsLost: {},
    });
  });
});
