// test/conformance/rfc7644-3.4-query-filter.test.ts: RFC 7644 §3.4.2.2 filtering over HTTP (operators, complex, URN, dateTime, case).
import { expect } from 'chai';
import {
  call,
  createGroup,
  createUser,
  ENTERPRISE_SCHEMA,
  ERROR_SCHEMA,
  LIST_SCHEMA,
  startConformanceServer,
  USER_SCHEMA,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RFC 7644 §3.4.2.2 filtering', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;
  const ids: Record<string, string> = {};
  let groupId = '';
  let between = '';

  /** The userNames (lower-cased local parts) a filter selects, in answer order. */
  async function who(filter: string): Promise<string[]> {
    const res = await call(dir, 'GET', `/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status, `${filter}: ${res.text}`).to.equal(200);
    expect(res.body.schemas).to.deep.equal([LIST_SCHEMA]);
    const resources = (res.body.Resources ?? []) as { userName: string }[];
    expect(res.body.totalResults, filter).to.equal(resources.length);
    return resources.map((r) => r.userName.split('@')[0]!.toLowerCase());
  }

  before(async function () {
    server = await startConformanceServer();
    dir = await server.newDirectory();
    const enterprise = (extra: Record<string, unknown>) => ({
      schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
      [ENTERPRISE_SCHEMA]: extra,
    });
    ids.alice = await createUser(dir, 'alice@example.test', {
      ...enterprise({ department: 'Sales', employeeNumber: '100' }),
      externalId: 'EXT-A',
      active: true,
      title: 'Engineer',
      name: { givenName: 'Alice', familyName: 'Zephyr' },
      emails: [
        { value: 'alice@work.example', type: 'work', primary: true },
        { value: 'alice@home.example', type: 'home' },
      ],
    });
    ids.bob = await createUser(dir, 'Bob@example.test', {
      ...enterprise({ department: 'Engineering' }),
      externalId: 'ext-b',
      title: 'Manager',
      active: false,
      name: { familyName: 'Young' },
      emails: [{ value: 'bob@home.example', type: 'home' }],
    });
    await sleep(20);
    between = new Date().toISOString();
    await sleep(20);
    ids.carol = await createUser(dir, 'carol@example.test', {
      ...enterprise({ department: 'Sales' }),
      active: true,
      name: { familyName: 'Xu' },
      emails: [{ value: 'carol@work.example', type: 'work' }],
    });
    ids.dave = await createUser(dir, 'dave@example.test', { title: 'engineer' });
    ids.erin = await createUser(dir, 'erin@example.test', { name: { familyName: 'Abbott' } });
    groupId = await createGroup(dir, 'Admins', [ids.alice, ids.bob]);
  });
  afterEach(function () {
    expect(
      server.serverErrors.splice(0).map((e) => e.stack),
      'internal errors',
    ).to.deep.equal([]);
  });
  after(async function () {
    await server.close();
  });

  it('answers eq on userName case-insensitively, with case-insensitive attribute names and operators', async function () {
    expect(await who('userName eq "bob@example.test"')).to.deep.equal(['bob']);
    expect(await who('USERNAME Eq "ALICE@EXAMPLE.TEST"')).to.deep.equal(['alice']);
  });

  it('compares caseExact attributes (externalId) exactly', async function () {
    expect(await who('externalId eq "EXT-A"')).to.deep.equal(['alice']);
    expect(await who('externalId eq "ext-a"')).to.deep.equal([]);
  });

  it('supports ne, co, sw, ew and pr', async function () {
    expect(await who('title co "ngine"')).to.have.members(['alice', 'dave']);
    expect(await who('userName sw "c"')).to.deep.equal(['carol']);
    expect(await who('userName ew "@EXAMPLE.test"')).to.have.members(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(await who('title pr')).to.have.members(['alice', 'bob', 'dave']);
    expect(await who('title ne "manager"'))
      .to.include.members(['alice', 'dave'])
      .and.not.include('bob');
  });

  it('orders string comparisons gt/lt case-insensitively', async function () {
    expect(await who('name.familyName gt "x"')).to.have.members(['alice', 'bob', 'carol']);
    expect(await who('name.familyName le "abbott"')).to.deep.equal(['erin']);
  });

  it('matches booleans (users created without active are active, as the lifecycle treats them)', async function () {
    expect(await who('active eq false')).to.deep.equal(['bob']);
    expect(await who('active eq true')).to.have.members(['alice', 'carol', 'dave', 'erin']);
  });

  it('applies not, and, or with RFC precedence and parentheses', async function () {
    expect(await who('not (title pr)')).to.have.members(['carol', 'erin']);
    expect(await who('userName sw "a" or userName sw "b"')).to.have.members(['alice', 'bob']);
    expect(await who('title pr and (userName sw "a" or userName sw "e")')).to.deep.equal(['alice']);
    expect(await who('title pr and userName sw "a" or userName sw "e"')).to.have.members(['alice', 'erin']);
  });

  it('matches complex value filters on one and the same multi-valued element', async function () {
    expect(await who('emails[type eq "work" and value co "@work.example"]')).to.have.members(['alice', 'carol']);
    expect(await who('emails[type eq "home" and value sw "carol"]')).to.deep.equal([]);
    expect(await who('emails.type eq "home"')).to.have.members(['alice', 'bob']);
  });

  it('resolves URN-qualified extension attributes', async function () {
    expect(await who(`${ENTERPRISE_SCHEMA}:department eq "Sales"`)).to.have.members(['alice', 'carol']);
    expect(await who(`${ENTERPRISE_SCHEMA}:employeeNumber eq "100"`)).to.deep.equal(['alice']);
    expect(await who(`${USER_SCHEMA}:userName eq "dave@example.test"`)).to.deep.equal(['dave']);
  });

  it('filters on meta.resourceType like on any other attribute', async function () {
    expect(await who('meta.resourceType eq "User"')).to.have.members(['alice', 'bob', 'carol', 'dave', 'erin']);
  });

  it('compares meta dateTimes chronologically', async function () {
    expect(await who(`meta.created gt "${between}"`)).to.have.members(['carol', 'dave', 'erin']);
    expect(await who(`meta.created lt "${between}"`)).to.have.members(['alice', 'bob']);
    // Joining the group later changed alice's and bob's `groups`, so their lastModified moved past `between` too.
    expect(await who(`meta.lastModified gt "${between}"`)).to.have.members(['alice', 'bob', 'carol', 'dave', 'erin']);
  });

  it('filters users by group membership and groups by member', async function () {
    expect(await who(`groups.value eq "${groupId}"`)).to.have.members(['alice', 'bob']);
    const groups = await call(dir, 'GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${ids.alice}"`)}`);
    expect(groups.body.totalResults).to.equal(1);
    expect(groups.body.Resources[0].id).to.equal(groupId);
    const byName = await call(
      dir,
      'GET',
      `/Groups?filter=${encodeURIComponent('displayName eq "admins"')}&excludedAttributes=members`,
    );
    expect(byName.body.Resources.map((g: { id: string }) => g.id)).to.deep.equal([groupId]);
    expect(byName.body.Resources[0]).to.not.have.property('members');
  });

  it('answers 200 with an empty list (not 404) when nothing matches', async function () {
    const res = await call(dir, 'GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@example.test"')}`);
    expect(res.status).to.equal(200);
    expect(res.body.totalResults).to.equal(0);
  });

  for (const bad of [
    'userName eq',
    'userName zz "x"',
    'emails[type eq "work"',
    '(userName eq "a"',
    'userName eq "unterminated',
    'and userName eq "a"',
  ]) {
    it(`rejects the malformed filter '${bad}' with 400 invalidFilter naming the position`, async function () {
      const res = await call(dir, 'GET', `/Users?filter=${encodeURIComponent(bad)}`);
      expect(res.status).to.equal(400);
      expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
      expect(res.body.scimType).to.equal('invalidFilter');
      expect(res.body.detail).to.match(/position \d+/);
    });
  }

  it('rejects type-mismatched comparisons (a bad dateTime literal, gt on a boolean) with 400 invalidFilter', async function () {
    for (const bad of ['meta.created gt "not-a-date"', 'active gt true']) {
      const res = await call(dir, 'GET', `/Users?filter=${encodeURIComponent(bad)}`);
      expect(res.status, bad).to.equal(400);
      expect(res.body.scimType, bad).to.equal('invalidFilter');
    }
  });
});
