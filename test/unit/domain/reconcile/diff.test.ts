// test/unit/domain/reconcile/diff.test.ts: one scanned account against desired and recorded state (pure).
import { expect } from 'chai';
import { DRIFTED_SPEC, diffAccount, diffMissing, orphanAction, wouldDo } from '../../../../domain/reconcile/diff';
import type { IdentityView, ScannedView } from '../../../../domain/reconcile/diff';
import { ownedDrift } from '../../../../domain/reconcile/owned';
import type { DesiredApp } from '../../../../domain/planner/types';

const spec = {
  userName: 'ada@acme.test',
  externalId: 'e-1',
  active: true,
  displayName: 'Ada',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@acme.test', type: 'work', primary: true }],
};
const want = (account: DesiredApp['account'], entitlements: string[] = []): DesiredApp => ({
  appId: 'crm',
  appName: 'crm',
  account,
  specHash: 'h1',
  entitlements,
  onGrantFailure: 'rollback',
  deprovision: 'disable',
});
const identity = (over: Partial<IdentityView> = {}): IdentityView => ({
  identityId: 'i1',
  status: 'active',
  want: want('active', ['staff']),
  have: {
    appId: 'crm',
    remoteId: 'r1',
    state: 'active',
    specHash: 'h1',
    entitlements: ['staff'],
    revocationVerified: false,
  },
  spec,
  ...over,
});
const scanned = (over: Partial<ScannedView> = {}): ScannedView => ({
  remoteId: 'r1',
  userName: 'ada@acme.test',
  active: true,
  attributes: { ...spec, id: 'r1', title: 'anything the app keeps' },
  entitlements: ['staff'],
  ...over,
});

describe('reconcile: diffAccount', function () {
  it('finds nothing when the app holds what scimflow recorded and wants (non-owned attributes ignored)', function () {
    expect(diffAccount(scanned(), identity())).to.deep.equal({ findings: [], correction: null });
  });

  it('rewrites an owned attribute edited by hand, through a spec hash the planner must replace', function () {
    const { findings, correction } = diffAccount(
      scanned({ attributes: { ...spec, id: 'r1', displayName: 'Someone else' } }),
      identity(),
    );
    expect(findings).to.deep.equal([
      {
        kind: 'attributesChanged',
        userName: 'ada@acme.test',
        remoteId: 'r1',
        identityId: 'i1',
        action: 'rewritten',
        attributes: ['displayName'],
      },
    ]);
    expect(correction).to.deep.equal({ specHash: DRIFTED_SPEC });
  });

  it('revokes a managed entitlement added by hand and grants again one removed by hand', function () {
    const { findings, correction } = diffAccount(
      scanned({ entitlements: ['admins'] }),
      identity({ want: want('active', ['staff']) }),
    );
    expect(findings.map((f) => [f.kind, f.action, f.entitlements])).to.deep.equal([
      ['entitlementsAddedByHand', 'revoked', ['admins']],
      ['entitlementsMissing', 'granted', ['staff']],
    ]);
    expect(correction).to.deep.equal({ entitlements: ['admins'] });
  });

  it('disables again a leaver whose account was re-enabled by hand', function () {
    const leaver = identity({
      status: 'inactive',
      want: want('disabled'),
      have: {
        appId: 'crm',
        remoteId: 'r1',
        state: 'disabled',
        specHash: 'h1',
        entitlements: [],
        revocationVerified: true,
      },
    });
    const { findings, correction } = diffAccount(scanned({ entitlements: [] }), leaver);
    expect(findings.map((f) => [f.kind, f.action])).to.deep.equal([['reenabledLeavers', 'disabled']]);
    expect(correction).to.deep.equal({ state: 'active', revocationVerified: false });
    // Still disabled in the app: nothing to do.
    expect(diffAccount(scanned({ active: false, entitlements: [] }), leaver).findings).to.deep.equal([]);
  });

  it('adopts an account scimflow never recorded, and disables it if the identity must not have one', function () {
    const outside = identity({ want: want('disabled'), have: undefined });
    const { findings, correction } = diffAccount(scanned({ entitlements: [] }), outside);
    expect(findings.map((f) => [f.kind, f.action])).to.deep.equal([
      ['adopted', 'adopted'],
      ['reenabledLeavers', 'disabled'],
    ]);
    expect(correction).to.include({ remoteId: 'r1', state: 'active', revocationVerified: false });
  });

  it('recreates a recorded account gone from the app for an identity that should have it, not for a leaver', function () {
    expect(diffMissing('ada@acme.test', 'r1', identity()).findings.map((f) => [f.kind, f.action])).to.deep.equal([
      ['missingAccounts', 'recreated'],
    ]);
    expect(diffMissing('ada@acme.test', 'r1', identity({ want: want('disabled') }))).to.deep.equal({
      findings: [],
      correction: null,
    });
  });

  it('names what an orphan gets, and the dry-run form of an action', function () {
    expect(orphanAction('report', true)).to.equal('reported');
    expect(orphanAction('disable', true)).to.equal('disabled');
    expect(orphanAction('disable', false)).to.equal('reported');
    expect(orphanAction('delete', false)).to.equal('deleted');
    expect(wouldDo('disabled')).to.equal('would-disabled');
    expect(wouldDo('reported')).to.equal('reported');
  });
});

describe('reconcile: ownedDrift', function () {
  it('compares userName and emails case-insensitively and emails as a set', function () {
    const remote = {
      ...spec,
      userName: 'ADA@acme.test',
      emails: [{ value: 'ADA@ACME.TEST', type: 'work', primary: true, display: 'x' }],
    };
    expect(ownedDrift(spec, remote, true)).to.deep.equal([]);
  });

  it('compares inside name only what scimflow sets, and treats a missing active as usable', function () {
    const remote = { ...spec, name: { ...spec.name, formatted: 'computed by the app' }, active: undefined };
    expect(ownedDrift(spec, remote, true)).to.deep.equal([]);
    expect(ownedDrift(spec, remote, false)).to.deep.equal(['active']);
  });

  it('reports each drifted owned attribute', function () {
    const remote = {
      userName: 'other',
      externalId: 'e-2',
      displayName: 'X',
      name: { givenName: 'A' },
      emails: [],
      active: false,
    };
    expect(ownedDrift(spec, remote, true)).to.deep.equal([
      'userName',
      'externalId',
      'displayName',
      'name',
      'emails',
      'active',
    ]);
  });
});
