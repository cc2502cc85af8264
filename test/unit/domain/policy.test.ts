// test/unit/domain/policy.test.ts: the entitlement policy maps identity facts to app bundles.
import { expect } from 'chai';
import { evaluatePolicy } from '../../../domain/policy/evaluate';
import { factsFromUser } from '../../../domain/policy/facts';
import { DEFAULT_POLICY, parsePolicy } from '../../../domain/policy/policy';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = (over: Record<string, unknown> = {}) => ({
  userName: 'ada@acme.test',
  title: 'Engineer',
  [ENT]: { department: 'R&D', costCenter: 'CC-7', manager: { value: 'm-1' } },
  ...over,
});

describe('entitlement policy', function () {
  it('gives every app and no entitlement when the directory has no policy', function () {
    expect(evaluatePolicy(DEFAULT_POLICY, factsFromUser(user(), []), ['crm', 'wiki'])).to.deep.equal({
      crm: [],
      wiki: [],
    });
  });

  it('grants bundles by group, department and title, merging entitlements per app', function () {
    const policy = parsePolicy({
      rules: [
        { name: 'engineers', when: { group: 'Engineering' }, grant: [{ app: 'git', entitlements: ['developer'] }] },
        {
          name: 'rnd',
          when: { department: 'r&d', title: ['Engineer', 'Manager'] },
          grant: [{ app: 'git', entitlements: ['ci'] }, { app: 'wiki' }],
        },
        { name: 'sales', when: { department: 'Sales' }, grant: [{ app: 'crm', entitlements: ['rep'] }] },
      ],
    });
    expect(evaluatePolicy(policy, factsFromUser(user(), ['engineering']), ['git', 'wiki', 'crm'])).to.deep.equal({
      git: ['ci', 'developer'],
      wiki: [],
    });
  });

  it('matches custom extension attributes, manager and composed conditions', function () {
    const policy = parsePolicy({
      rules: [
        {
          name: 'contractors-not-in-cc7',
          when: {
            all: [
              { attribute: { path: 'urn:acme:ext:User:clearance', equals: 'high' } },
              { not: { costCenter: 'CC-7' } },
            ],
          },
          grant: [{ app: 'vault', entitlements: ['read'] }],
        },
        {
          name: 'reports-of-m1',
          when: { any: [{ manager: 'm-1' }, { group: 'Leads' }] },
          grant: [{ app: 'hr', entitlements: ['self-service'] }],
        },
      ],
    });
    const facts = factsFromUser(user({ 'urn:acme:ext:User': { clearance: 'high' } }), []);
    expect(evaluatePolicy(policy, facts, ['vault', 'hr'])).to.deep.equal({ hr: ['self-service'] });
  });

  it('ignores grants for apps the directory does not have', function () {
    const policy = parsePolicy({ baseline: ['wiki', 'ghost'], rules: [] });
    expect(evaluatePolicy(policy, factsFromUser(user(), []), ['wiki'])).to.deep.equal({ wiki: [] });
  });

  it('rejects an invalid policy with the offending path', function () {
    expect(() => parsePolicy({ rules: [{ name: 'x', when: { colour: 'blue' }, grant: [{ app: 'a' }] }] })).to.throw(
      /colour|Unrecognized/,
    );
    expect(() => parsePolicy({ rules: [{ name: 'x', grant: [] }] })).to.throw();
  });
});
