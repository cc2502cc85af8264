// test/unit/domain/accounts/match.test.ts: the account match order and the account spec apps receive.
import { expect } from 'chai';
import fc from 'fast-check';
import { accountSpecFromUser, AccountSpecSchema, specHashInput } from '../../../../domain/accounts/account-spec';
import type { Candidate } from '../../../../domain/accounts/match';
import { describeAmbiguity, MATCH_ORDER, matchStage } from '../../../../domain/accounts/match';

interface Account extends Candidate {
  userName: string;
  active: boolean;
}

const account = (id: string, over: Partial<Account> = {}): Account => ({
  id,
  userName: 'ada@acme.test',
  active: true,
  ...over,
});
const nobodyElse = () => false;
const claimed =
  (...ids: string[]) =>
  (id: string) =>
    ids.includes(id);

describe('MATCH_ORDER', function () {
  it('tries the recorded id, then externalId, then userName', function () {
    expect(MATCH_ORDER).to.deep.equal(['id', 'externalId', 'userName']);
  });

  it('never matches by email', function () {
    expect(MATCH_ORDER.map((by) => by.toLowerCase())).to.not.include.members(['email', 'emails']);
    expect(MATCH_ORDER.some((by) => /mail/i.test(by))).to.equal(false);
  });
});

describe('matchStage', function () {
  it('finds the single candidate at a stage, saying which stage matched', function () {
    for (const by of MATCH_ORDER) {
      expect(matchStage(by, [account('a1')], nobodyElse)).to.deep.equal({ kind: 'found', account: account('a1'), by });
    }
  });

  it('answers undefined (ask the next stage) when the app returned nothing', function () {
    expect(matchStage('externalId', [], nobodyElse)).to.equal(undefined);
  });

  it('refuses to guess between several candidates: ambiguous, listing them in the order the app gave', function () {
    const match = matchStage('userName', [account('a2'), account('a1'), account('a3')], nobodyElse);
    expect(match).to.deep.equal({
      kind: 'ambiguous',
      by: 'userName',
      candidates: [account('a2'), account('a1'), account('a3')],
    });
  });

  it('counts an account the app listed twice once', function () {
    const match = matchStage('userName', [account('a1'), account('a1')], nobodyElse);
    expect(match).to.include({ kind: 'found', by: 'userName' });
    expect(match && match.kind === 'found' ? match.account.id : undefined).to.equal('a1');
  });

  it("skips an account recorded as another identity's (a rehire and its predecessor share a userName)", function () {
    const match = matchStage('userName', [account('old'), account('new')], claimed('old'));
    expect(match).to.deep.equal({ kind: 'found', account: account('new'), by: 'userName' });
  });

  it("answers undefined, not found, when every candidate is another identity's", function () {
    expect(matchStage('userName', [account('old')], claimed('old'))).to.equal(undefined);
    expect(matchStage('externalId', [account('x'), account('y')], claimed('x', 'y'))).to.equal(undefined);
  });

  it("leaves other identities' accounts out of an ambiguity", function () {
    const match = matchStage('userName', [account('a'), account('old'), account('b')], claimed('old'));
    expect(match).to.deep.equal({ kind: 'ambiguous', by: 'userName', candidates: [account('a'), account('b')] });
  });

  it('asks about each distinct candidate id', function () {
    const asked: string[] = [];
    matchStage('userName', [account('a'), account('b'), account('a')], (id) => {
      asked.push(id);
      return false;
    });
    expect(asked).to.have.members(['a', 'b']);
  });

  it("returns the app's own account object, with every field it carried", function () {
    const remote = account('a1', { userName: 'ADA@acme.test', active: false });
    const match = matchStage('userName', [remote], nobodyElse);
    expect(match && match.kind === 'found' ? match.account : undefined).to.equal(remote);
  });

  it('never changes the candidate list it is given', function () {
    const candidates = Object.freeze([account('a'), account('b'), account('a')]);
    matchStage('userName', candidates, claimed('b'));
    expect(candidates.map((c) => c.id)).to.deep.equal(['a', 'b', 'a']);
  });

  it('decides by the number of distinct unclaimed candidates (property)', function () {
    const ids = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.constantFrom(...MATCH_ORDER),
        fc.array(fc.constantFrom(...ids), { maxLength: 8 }),
        fc.subarray(ids),
        (by, listed, others) => {
          const match = matchStage(
            by,
            listed.map((id) => account(id)),
            claimed(...others),
          );
          const own = [...new Set(listed)].filter((id) => !others.includes(id));
          if (own.length === 0) expect(match).to.equal(undefined);
          else if (own.length === 1) expect(match).to.deep.equal({ kind: 'found', account: account(own[0]!), by });
          else {
            expect(match).to.deep.include({ kind: 'ambiguous', by });
            expect(match && match.kind === 'ambiguous' ? match.candidates.map((c) => c.id) : []).to.deep.equal(own);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('describeAmbiguity', function () {
  const ids = (...list: string[]) => list.map((id) => ({ id }));

  it('names the stage and every candidate, and says scimflow will not guess', function () {
    expect(describeAmbiguity({ by: 'userName', candidates: ids('a1', 'a2') })).to.equal(
      "2 app accounts match by userName (a1, a2); scimflow will not guess which one is this identity's",
    );
  });

  it('lists up to five candidates in full', function () {
    const text = describeAmbiguity({ by: 'externalId', candidates: ids('1', '2', '3', '4', '5') });
    expect(text).to.equal(
      "5 app accounts match by externalId (1, 2, 3, 4, 5); scimflow will not guess which one is this identity's",
    );
    expect(text).to.not.include('…');
  });

  it('shows the first five of a longer list and the total', function () {
    const text = describeAmbiguity({ by: 'userName', candidates: ids('1', '2', '3', '4', '5', '6', '7') });
    expect(text).to.equal(
      "7 app accounts match by userName (1, 2, 3, 4, 5, … (7 in all)); scimflow will not guess which one is this identity's",
    );
    expect(text).to.not.include('6');
  });

  it('describes what matchStage reports as ambiguous', function () {
    const match = matchStage('userName', [account('x'), account('y')], nobodyElse);
    expect(match?.kind).to.equal('ambiguous');
    if (match?.kind !== 'ambiguous') return;
    expect(describeAmbiguity(match)).to.match(/^2 app accounts match by userName \(x, y\)/);
  });
});

describe('accountSpecFromUser', function () {
  const full = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    id: 'internal-id',
    userName: 'ada@acme.test',
    externalId: 'ext-1',
    displayName: 'Ada Lovelace',
    name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace', middleName: 'King' },
    emails: [
      { value: 'ada@acme.test', type: 'work', primary: true },
      { value: 'ada@home.test', type: 'home', primary: false, display: 'home' },
    ],
    title: 'Engineer',
    password: 'secret',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
  };

  it('projects only the attributes every SCIM app understands', function () {
    expect(accountSpecFromUser(full, true)).to.deep.equal({
      userName: 'ada@acme.test',
      active: true,
      externalId: 'ext-1',
      displayName: 'Ada Lovelace',
      name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
      emails: [
        { value: 'ada@acme.test', type: 'work', primary: true },
        { value: 'ada@home.test', type: 'home' },
      ],
    });
  });

  it('takes active from the caller, not from the document', function () {
    expect(accountSpecFromUser({ ...full, active: true }, false).active).to.equal(false);
    expect(accountSpecFromUser({ ...full, active: false }, true).active).to.equal(true);
  });

  it('produces a spec the schema accepts', function () {
    expect(AccountSpecSchema.safeParse(accountSpecFromUser(full, true)).success).to.equal(true);
    expect(AccountSpecSchema.safeParse(accountSpecFromUser({ userName: 'u' }, false)).success).to.equal(true);
  });

  it('leaves out empty or non-string values', function () {
    const spec = accountSpecFromUser(
      { userName: 'u', externalId: '', displayName: 42, name: { givenName: '', familyName: null } },
      true,
    );
    expect(spec).to.deep.equal({ userName: 'u', active: true });
  });

  it('keeps only the name parts that are set', function () {
    expect(accountSpecFromUser({ userName: 'u', name: { familyName: 'Lovelace' } }, true).name).to.deep.equal({
      familyName: 'Lovelace',
    });
  });

  it('ignores a name that is not an object', function () {
    expect(accountSpecFromUser({ userName: 'u', name: 'Ada' }, true)).to.not.have.property('name');
    expect(accountSpecFromUser({ userName: 'u', name: null }, true)).to.not.have.property('name');
  });

  it('keeps emails with a string value, and primary only when it is true', function () {
    const spec = accountSpecFromUser(
      {
        userName: 'u',
        emails: [null, { type: 'work' }, { value: 7 }, { value: 'a@x.test', primary: 'true' }, { value: 'b@x.test' }],
      },
      true,
    );
    expect(spec.emails).to.deep.equal([{ value: 'a@x.test' }, { value: 'b@x.test' }]);
  });

  it('leaves emails out when none is usable or they are not a list', function () {
    expect(accountSpecFromUser({ userName: 'u', emails: [{ type: 'work' }] }, true)).to.not.have.property('emails');
    expect(accountSpecFromUser({ userName: 'u', emails: 'a@x.test' }, true)).to.not.have.property('emails');
  });

  it('reads a missing userName as empty (the schema then rejects the spec)', function () {
    const spec = accountSpecFromUser({}, true);
    expect(spec).to.deep.equal({ userName: '', active: true });
    expect(AccountSpecSchema.safeParse(spec).success).to.equal(false);
  });
});

describe('specHashInput', function () {
  it('covers everything but active', function () {
    const spec = accountSpecFromUser({ userName: 'u', displayName: 'U' }, true);
    expect(specHashInput(spec)).to.equal('{"userName":"u","displayName":"U"}');
    expect(specHashInput({ ...spec, active: false })).to.equal(specHashInput(spec));
  });

  it('changes when any attribute apps receive changes', function () {
    const base = { userName: 'u', externalId: 'e', displayName: 'U', emails: [{ value: 'u@x.test' }] };
    const hashed = specHashInput(accountSpecFromUser(base, true));
    for (const change of [
      { userName: 'v' },
      { externalId: 'f' },
      { displayName: 'V' },
      { name: { givenName: 'G' } },
      { emails: [{ value: 'v@x.test' }] },
      { emails: [{ value: 'u@x.test', primary: true }] },
    ]) {
      expect(specHashInput(accountSpecFromUser({ ...base, ...change }, true)), JSON.stringify(change)).to.not.equal(
        hashed,
      );
    }
  });

  it('ignores attributes apps never receive', function () {
    const base = { userName: 'u', displayName: 'U' };
    expect(specHashInput(accountSpecFromUser({ ...base, title: 'Boss', password: 'x', id: 'z' }, true))).to.equal(
      specHashInput(accountSpecFromUser(base, true)),
    );
  });

  it('does not depend on the key order of the SCIM document (property)', function () {
    const docArb = fc.record(
      {
        userName: fc.string({ minLength: 1, maxLength: 8 }),
        externalId: fc.string({ maxLength: 8 }),
        displayName: fc.string({ maxLength: 8 }),
        name: fc.record(
          {
            formatted: fc.string({ maxLength: 8 }),
            familyName: fc.string({ maxLength: 8 }),
            givenName: fc.string({ maxLength: 8 }),
          },
          { requiredKeys: [] },
        ),
        emails: fc.array(
          fc.record({ primary: fc.boolean(), type: fc.string({ maxLength: 4 }), value: fc.string({ maxLength: 8 }) }),
          { maxLength: 3 },
        ),
      },
      { requiredKeys: ['userName'] },
    );
    const reversed = (o: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(o)
          .reverse()
          .map(([k, v]) => [
            k,
            Array.isArray(v)
              ? v.map((e) => reversed(e as Record<string, unknown>))
              : v && typeof v === 'object'
                ? reversed(v as Record<string, unknown>)
                : v,
          ]),
      );
    fc.assert(
      fc.property(docArb, (doc) => {
        expect(specHashInput(accountSpecFromUser(reversed(doc), true))).to.equal(
          specHashInput(accountSpecFromUser(doc, true)),
        );
      }),
      { numRuns: 300 },
    );
  });
});
