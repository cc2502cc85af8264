// test/unit/domain/planner/desired.test.ts: identity facts → desired state per app, status, and display labels.
import { expect } from 'chai';
import fc from 'fast-check';
import { specHashInput } from '../../../../domain/accounts/account-spec';
import type { ConfiguredApp, IdentityFactsInput, StoredIdentity } from '../../../../domain/planner/desired';
import { desiredFromFacts, LABEL_MAX_CHARS, statusOf, truncateLabel } from '../../../../domain/planner/desired';
import { planApps } from '../../../../domain/planner/plan';
import { DEFAULT_POLICY, parsePolicy } from '../../../../domain/policy/policy';

const ELLIPSIS = '…';
const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

function user(over: Partial<StoredIdentity> = {}, doc: Record<string, unknown> = {}): StoredIdentity {
  return {
    type: 'User',
    doc: { userName: 'ada@acme.test', externalId: 'ext-1', displayName: 'Ada', ...doc },
    active: true,
    deletedAt: null,
    deactivatedAt: null,
    deactivatedSeq: null,
    ...over,
  };
}

const APPS: ConfiguredApp[] = [
  { id: 'app-crm', name: 'crm', deprovision: 'disable' },
  { id: 'app-git', name: 'git', deprovision: 'delete' },
];

function facts(over: Partial<IdentityFactsInput> = {}): IdentityFactsInput {
  return {
    directoryId: 'dir-1',
    identityId: 'id-1',
    resource: user(),
    groups: [],
    policy: DEFAULT_POLICY,
    apps: APPS,
    latestSeq: 42,
    ...over,
  };
}

/** A visible stand-in for the SHA-256 the activity passes in. */
const fakeHash = (text: string) => `hash(${text})`;

describe('truncateLabel', function () {
  it('caps labels at the 255 characters a keyword search attribute holds by default', function () {
    expect(LABEL_MAX_CHARS).to.equal(255);
    const cut = truncateLabel('x'.repeat(1000));
    expect(cut).to.have.length(255);
    expect(cut).to.equal(`${'x'.repeat(254)}${ELLIPSIS}`);
  });

  it('leaves strings that fit untouched, including one of exactly the maximum length', function () {
    expect(truncateLabel('')).to.equal('');
    expect(truncateLabel('ada@acme.test')).to.equal('ada@acme.test');
    const exact = 'y'.repeat(LABEL_MAX_CHARS);
    expect(truncateLabel(exact)).to.equal(exact);
    expect(truncateLabel('abcde', 5)).to.equal('abcde');
  });

  it('marks the cut with an ellipsis within the maximum', function () {
    expect(truncateLabel('x'.repeat(256))).to.equal(`${'x'.repeat(254)}${ELLIPSIS}`);
    expect(truncateLabel('abcdef', 5)).to.equal(`abcd${ELLIPSIS}`);
    expect(truncateLabel('ab', 1)).to.equal(ELLIPSIS);
  });

  it('drops a whole emoji rather than half of it when the cut falls inside its surrogate pair', function () {
    // 253 ASCII characters, then an emoji at code units 253–254: keeping 254 units would split it.
    const value = `${'a'.repeat(253)}😀tail`;
    const cut = truncateLabel(value);
    expect(cut).to.equal(`${'a'.repeat(253)}${ELLIPSIS}`);
    expect(cut).to.have.length(254);
  });

  it('keeps an emoji that ends exactly at the cut', function () {
    const value = `${'a'.repeat(252)}😀tail`; // the emoji takes code units 252–253, the last ones kept
    expect(truncateLabel(value)).to.equal(`${'a'.repeat(252)}😀${ELLIPSIS}`);
  });

  it('never splits a pair in a string made only of emoji, whatever the maximum', function () {
    const value = '😀'.repeat(200);
    for (const max of [2, 3, 4, 5, 254, 255, 256]) {
      const cut = truncateLabel(value, max);
      expect(cut.length, `max ${max}`).to.be.at.most(max);
      expect(cut.endsWith(ELLIPSIS)).to.equal(true);
      expect(cut.slice(0, -1)).to.equal('😀'.repeat(Math.floor((max - 1) / 2)));
    }
  });

  it('always fits, never leaves half a surrogate pair, and keeps a prefix of the original (property)', function () {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 1, max: 300 }), (value, max) => {
        const cut = truncateLabel(value, max);
        expect(cut.length).to.be.at.most(max);
        if (value.length <= max) {
          expect(cut).to.equal(value);
          return;
        }
        expect(cut.endsWith(ELLIPSIS)).to.equal(true);
        const kept = cut.slice(0, -1);
        expect(value.startsWith(kept)).to.equal(true);
        // Nothing more than the ellipsis and a split pair's first half is given up.
        expect(kept.length).to.be.at.least(max - 2);
        if (kept.length > 0) expect(isHigh(kept.charCodeAt(kept.length - 1))).to.equal(false);
        // What follows the kept part is never the second half of a kept first half.
        expect(isLow(value.charCodeAt(kept.length)) && isHigh(kept.charCodeAt(kept.length - 1))).to.equal(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('statusOf', function () {
  it('reads unknown when there is no stored resource', function () {
    expect(statusOf(undefined)).to.equal('unknown');
  });

  it('reads unknown for a resource that is not a user (a group has no accounts)', function () {
    expect(statusOf(user({ type: 'Group' }))).to.equal('unknown');
  });

  it('reads deleted for a deleted user, even one still flagged active', function () {
    expect(statusOf(user({ deletedAt: '2024-05-01T00:00:00.000Z', active: true }))).to.equal('deleted');
    expect(statusOf(user({ deletedAt: '2024-05-01T00:00:00.000Z', active: false }))).to.equal('deleted');
  });

  it('reads active or inactive from the active flag of a live user', function () {
    expect(statusOf(user({ active: true }))).to.equal('active');
    expect(statusOf(user({ active: false }))).to.equal('inactive');
  });
});

describe('desiredFromFacts', function () {
  it('gives an unknown identity no apps, no label and no spec, without hashing anything', function () {
    const hashed: string[] = [];
    const { state, spec } = desiredFromFacts(facts({ resource: undefined }), (t) => {
      hashed.push(t);
      return t;
    });
    expect(spec).to.equal(undefined);
    expect(hashed).to.deep.equal([]);
    expect(state).to.deep.equal({
      directoryId: 'dir-1',
      identityId: 'id-1',
      latestSeq: 42,
      label: '',
      status: 'unknown',
      apps: [],
      deactivatedAt: null,
      deactivatedSeq: null,
    });
  });

  it('treats a group resource as unknown', function () {
    const { state, spec } = desiredFromFacts(facts({ resource: user({ type: 'Group' }) }), fakeHash);
    expect(state.status).to.equal('unknown');
    expect(state.apps).to.deep.equal([]);
    expect(spec).to.equal(undefined);
  });

  it('takes every account away in an app being removed with its accounts (disabled, or absent when it deletes)', function () {
    const removing = APPS.map((app) => ({ ...app, removing: true }));
    const { state } = desiredFromFacts(facts({ apps: removing }), fakeHash);
    expect(state.status).to.equal('active');
    expect(state.apps.map((a) => [a.appName, a.account, a.entitlements])).to.deep.equal([
      ['crm', 'disabled', []],
      ['git', 'absent', []],
    ]);
  });

  it('gives an active user an account in every app, with no entitlements, when there is no policy', function () {
    const { state, spec } = desiredFromFacts(facts(), fakeHash);
    expect(spec).to.deep.equal({ userName: 'ada@acme.test', active: true, externalId: 'ext-1', displayName: 'Ada' });
    const specHash = fakeHash(specHashInput(spec!));
    expect(state).to.deep.equal({
      directoryId: 'dir-1',
      identityId: 'id-1',
      latestSeq: 42,
      label: 'ada@acme.test',
      status: 'active',
      deactivatedAt: null,
      deactivatedSeq: null,
      apps: [
        {
          appId: 'app-crm',
          appName: 'crm',
          account: 'active',
          specHash,
          entitlements: [],
          onGrantFailure: 'rollback',
          deprovision: 'disable',
        },
        {
          appId: 'app-git',
          appName: 'git',
          account: 'active',
          specHash,
          entitlements: [],
          onGrantFailure: 'rollback',
          deprovision: 'delete',
        },
      ],
    });
  });

  it("grants the policy's bundles by group, sorted, with each app's grant-failure rule", function () {
    const policy = parsePolicy({
      rules: [
        { name: 'eng', when: { group: 'Engineering' }, grant: [{ app: 'git', entitlements: ['write', 'admin'] }] },
        { name: 'sales', when: { group: 'Sales' }, grant: [{ app: 'crm', entitlements: ['rep'] }] },
      ],
      apps: { git: { onGrantFailure: 'keep' } },
    });
    const { state } = desiredFromFacts(facts({ policy, groups: ['engineering'] }), fakeHash);
    const git = state.apps.find((a) => a.appName === 'git')!;
    expect(git).to.include({ account: 'active', onGrantFailure: 'keep' });
    expect(git.entitlements).to.deep.equal(['admin', 'write']);
    // crm is outside every bundle of this user: its account is not wanted (disable mode).
    expect(state.apps.find((a) => a.appName === 'crm')).to.deep.include({
      account: 'disabled',
      entitlements: [],
      onGrantFailure: 'rollback',
    });
  });

  it('wants no account in an app outside the bundle: disabled, or absent when the app deprovisions by deleting', function () {
    const policy = parsePolicy({ baseline: [] });
    const { state } = desiredFromFacts(facts({ policy }), fakeHash);
    expect(state.status).to.equal('active');
    expect(state.apps.map((a) => [a.appId, a.account, a.entitlements])).to.deep.equal([
      ['app-crm', 'disabled', []],
      ['app-git', 'absent', []],
    ]);
  });

  for (const [status, resource] of [
    ['inactive', user({ active: false, deactivatedAt: '2024-05-01T10:00:00.000Z', deactivatedSeq: 40 })],
    [
      'deleted',
      user({ deletedAt: '2024-05-02T00:00:00.000Z', deactivatedAt: '2024-05-01T10:00:00.000Z', deactivatedSeq: 40 }),
    ],
  ] as const) {
    it(`wants no account and no entitlement anywhere once the user is ${status}, whatever the policy grants`, function () {
      const policy = parsePolicy({
        baseline: 'all',
        rules: [
          {
            name: 'all',
            grant: [
              { app: 'crm', entitlements: ['rep'] },
              { app: 'git', entitlements: ['x'] },
            ],
          },
        ],
      });
      const { state, spec } = desiredFromFacts(facts({ resource, policy }), fakeHash);
      expect(state.status).to.equal(status);
      expect(state.apps.map((a) => [a.appId, a.account, a.entitlements, a.deprovision])).to.deep.equal([
        ['app-crm', 'disabled', [], 'disable'],
        ['app-git', 'absent', [], 'delete'],
      ]);
      expect(spec?.active).to.equal(false);
      expect(state.deactivatedAt).to.equal('2024-05-01T10:00:00.000Z');
      expect(state.deactivatedSeq).to.equal(40);
    });
  }

  it('drops a stale deactivation from a user who is active again', function () {
    const rehired = user({ active: true, deactivatedAt: '2024-05-01T10:00:00.000Z', deactivatedSeq: 40 });
    const { state } = desiredFromFacts(facts({ resource: rehired }), fakeHash);
    expect(state.deactivatedAt).to.equal(null);
    expect(state.deactivatedSeq).to.equal(null);
  });

  it('hashes the spec without its active flag, so deactivating alone does not change the hash', function () {
    const active = desiredFromFacts(facts(), fakeHash);
    const inactive = desiredFromFacts(facts({ resource: user({ active: false }) }), fakeHash);
    expect(active.spec?.active).to.equal(true);
    expect(inactive.spec?.active).to.equal(false);
    expect(inactive.state.apps[0]!.specHash).to.equal(active.state.apps[0]!.specHash);
  });

  it('changes the hash of every app when an attribute apps receive changes', function () {
    const before = desiredFromFacts(facts(), fakeHash).state.apps.map((a) => a.specHash);
    const after = desiredFromFacts(facts({ resource: user({}, { displayName: 'Ada L.' }) }), fakeHash).state.apps.map(
      (a) => a.specHash,
    );
    expect(after[0]).to.not.equal(before[0]);
    expect(after[1]).to.not.equal(before[1]);
  });

  it('hashes the spec exactly once through the hash function it is given', function () {
    const hashed: string[] = [];
    const { state, spec } = desiredFromFacts(facts(), (t) => {
      hashed.push(t);
      return 'H';
    });
    expect(hashed).to.deep.equal([specHashInput(spec!)]);
    expect(state.apps.map((a) => a.specHash)).to.deep.equal(['H', 'H']);
  });

  it('truncates a long userName for the label but keeps it whole in the spec', function () {
    const long = `${'u'.repeat(300)}@acme.test`;
    const { state, spec } = desiredFromFacts(facts({ resource: user({}, { userName: long }) }), fakeHash);
    expect(state.label).to.have.length(LABEL_MAX_CHARS);
    expect(state.label).to.equal(truncateLabel(long));
    expect(spec?.userName).to.equal(long);
  });

  it('keeps app order and plans a directory with no apps as no apps', function () {
    const reversed = [...APPS].reverse();
    expect(desiredFromFacts(facts({ apps: reversed }), fakeHash).state.apps.map((a) => a.appId)).to.deep.equal([
      'app-git',
      'app-crm',
    ]);
    expect(desiredFromFacts(facts({ apps: [] }), fakeHash).state.apps).to.deep.equal([]);
  });

  it('never wants an active account or an entitlement for a user who is not active (property)', function () {
    const appNames = ['crm', 'git', 'wiki'];
    fc.assert(
      fc.property(
        fc.constantFrom('inactive' as const, 'deleted' as const),
        fc.subarray(appNames),
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
        fc.constantFrom('disable' as const, 'delete' as const),
        (status, granted, ents, deprovision) => {
          const policy = parsePolicy({
            baseline: 'all',
            rules: granted.length ? [{ name: 'r', grant: granted.map((app) => ({ app, entitlements: ents })) }] : [],
          });
          const resource =
            status === 'deleted' ? user({ deletedAt: '2024-05-02T00:00:00.000Z' }) : user({ active: false });
          const apps = appNames.map((name) => ({ id: `app-${name}`, name, deprovision }));
          const { state } = desiredFromFacts(facts({ resource, policy, apps }), fakeHash);
          for (const app of state.apps) {
            expect(app.account).to.equal(deprovision === 'delete' ? 'absent' : 'disabled');
            expect(app.entitlements).to.deep.equal([]);
          }
          expect(planApps(state, []).flatMap((p) => p.grant)).to.deep.equal([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  // An app's name is free text (`scimflow app add --name`), and desiredFromFacts looks bundles up by name in a plain
  // object, so a name that is also an Object.prototype key must not read an inherited member as a bundle.
  const PROTOTYPE_KEYS = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'];
  const leaverIn = (name: string) =>
    desiredFromFacts(
      facts({
        resource: user({ active: false }),
        apps: [
          { id: 'app-odd', name, deprovision: 'disable' },
          { id: 'app-crm', name: 'crm', deprovision: 'disable' },
        ],
      }),
      fakeHash,
    );

  it('wants no account for a leaver in an app whose name is an Object.prototype key', function () {
    for (const name of PROTOTYPE_KEYS) {
      const { state } = leaverIn(name);
      expect(
        state.apps.map((a) => [a.appId, a.account, a.entitlements]),
        `app named "${name}"`,
      ).to.deep.equal([
        ['app-odd', 'disabled', []],
        ['app-crm', 'disabled', []],
      ]);
    }
  });

  it('still revokes a leaver in its other apps when one app is named "constructor"', function () {
    const { state } = leaverIn('constructor');
    const crm = {
      appId: 'app-crm',
      remoteId: 'r1',
      state: 'active' as const,
      specHash: 'x',
      entitlements: ['e'],
      revocationVerified: false,
    };
    const plans = planApps(state, [crm]);
    expect(plans.flatMap((p) => p.grant)).to.deep.equal([]);
    expect(plans.find((p) => p.appId === 'app-crm')!.revoke).to.deep.equal([
      { kind: 'revokeAccount', mode: 'disable' },
      { kind: 'revokeEntitlements', entitlements: ['e'] },
    ]);
  });

  it('wants no account for an active user outside the bundle of an app named "toString"', function () {
    const apps: ConfiguredApp[] = [{ id: 'app-odd', name: 'toString', deprovision: 'delete' }];
    const { state } = desiredFromFacts(facts({ policy: parsePolicy({ baseline: [] }), apps }), fakeHash);
    expect(state.apps.map((a) => [a.account, a.entitlements])).to.deep.equal([['absent', []]]);
  });
});
