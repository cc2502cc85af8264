// test/conformance/rfc7644-3.5.2-patch-groups.test.ts: RFC 7644 §3.5.2 PATCH on group membership, up to a 2,000-member group.
import { expect } from 'chai';
import {
  call,
  createGroup,
  createUser,
  patchBody,
  startConformanceServer,
  USER_SCHEMA,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

describe('RFC 7644 §3.5.2 modifying group membership with PATCH', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;

  const memberIds = async (groupId: string): Promise<string[]> => {
    const res = await call(dir, 'GET', `/Groups/${groupId}`);
    expect(res.status).to.equal(200);
    return ((res.body.members ?? []) as { value: string }[]).map((m) => m.value);
  };
  const membershipChanges = () =>
    server
      .pokedEvents(dir.id)
      .filter((e) => e.kind === 'membership')
      .map((e) => `${e.identityId}:${String(e.detail.change)}`);

  before(async function () {
    server = await startConformanceServer();
  });
  beforeEach(async function () {
    dir = await server.newDirectory();
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

  it('adds, removes by value filter and replaces members, recording one membership event per real change', async function () {
    const [a, b, c] = [
      await createUser(dir, 'a@example.test'),
      await createUser(dir, 'b@example.test'),
      await createUser(dir, 'c@example.test'),
    ];
    const groupId = await createGroup(dir, 'Ops');
    const patch = (...ops: Record<string, unknown>[]) =>
      call(dir, 'PATCH', `/Groups/${groupId}`, { body: patchBody(...ops) });

    expect((await patch({ op: 'add', path: 'members', value: [{ value: a }, { value: b }] })).status).to.be.oneOf([
      200, 204,
    ]);
    expect(await memberIds(groupId)).to.have.members([a, b]);
    expect((await patch({ op: 'remove', path: `members[value eq "${a}"]` })).status).to.be.oneOf([200, 204]);
    expect(await memberIds(groupId)).to.deep.equal([b]);
    expect((await patch({ op: 'replace', path: 'members', value: [{ value: c }] })).status).to.be.oneOf([200, 204]);
    expect(await memberIds(groupId)).to.deep.equal([c]);
    const changes = membershipChanges();
    expect(changes.slice(0, 3)).to.deep.equal([`${a}:added`, `${b}:added`, `${a}:removed`]);
    expect(changes.slice(3)).to.have.members([`${b}:removed`, `${c}:added`]); // one replace: order within it is not specified
  });

  it('records nothing and keeps the version when adding an existing member or removing a non-member', async function () {
    const a = await createUser(dir, 'a@example.test');
    const b = await createUser(dir, 'b@example.test');
    const groupId = await createGroup(dir, 'Steady', [a]);
    const before = (await call(dir, 'GET', `/Groups/${groupId}`)).body.meta.version;
    const pokedBefore = server.pokedEvents(dir.id).length;
    await call(dir, 'PATCH', `/Groups/${groupId}`, {
      body: patchBody({ op: 'add', path: 'members', value: [{ value: a }] }),
    });
    await call(dir, 'PATCH', `/Groups/${groupId}`, {
      body: patchBody({ op: 'remove', path: 'members', value: [{ value: b }] }),
    });
    expect(server.pokedEvents(dir.id)).to.have.length(pokedBefore);
    expect((await call(dir, 'GET', `/Groups/${groupId}`)).body.meta.version).to.equal(before);
  });

  it("keeps each member's type, so that a nested group's $ref points at /Groups (RFC 7643 §4.2)", async function () {
    const a = await createUser(dir, 'typed@example.test');
    const inner = await createGroup(dir, 'Inner', []);
    const outer = await createGroup(dir, 'Outer', [a]);
    const res = await call(dir, 'PATCH', `/Groups/${outer}`, {
      body: patchBody({ op: 'add', path: 'members', value: [{ value: inner, type: 'group' }] }),
    });
    expect(res.status, JSON.stringify(res.body)).to.be.oneOf([200, 204]);
    const members = (await call(dir, 'GET', `/Groups/${outer}`)).body.members as Record<string, string>[];
    const byValue = Object.fromEntries(members.map((m) => [m.value, m]));
    expect(byValue[inner]).to.deep.include({ type: 'Group', $ref: `${dir.baseUrl}/Groups/${inner}` });
    expect(byValue[a]!.$ref).to.equal(`${dir.baseUrl}/Users/${a}`);
  });

  it('rejects adding a member that does not exist with 400 and changes nothing', async function () {
    const a = await createUser(dir, 'a@example.test');
    const groupId = await createGroup(dir, 'Strict', [a]);
    const res = await call(dir, 'PATCH', `/Groups/${groupId}`, {
      body: patchBody(
        { op: 'remove', path: 'members', value: [{ value: a }] },
        { op: 'add', path: 'members', value: [{ value: 'ghost' }] },
      ),
    });
    expect(res.status).to.equal(400);
    expect(await memberIds(groupId)).to.deep.equal([a]);
  });

  it('answers the group with members only when asked, after a PATCH that names ?attributes', async function () {
    const a = await createUser(dir, 'a@example.test');
    const groupId = await createGroup(dir, 'Visible');
    const res = await call(dir, 'PATCH', `/Groups/${groupId}?attributes=members`, {
      body: patchBody({ op: 'add', path: 'members', value: [{ value: a }] }),
    });
    expect(res.status).to.equal(200);
    expect(res.body.members.map((m: { value: string }) => m.value)).to.deep.equal([a]);
  });

  it('takes a one-member PATCH on a 2,000-member group and answers excludedAttributes=members without members', async function () {
    const ids = await server.stores.atomically(async () => {
      const inserted: string[] = [];
      for (let i = 0; i < 2000; i += 1) {
        const doc = { schemas: [USER_SCHEMA], userName: `bulk${i}@example.test` };
        inserted.push((await server.stores.resources.insert(dir.id, 'User', doc)).resource.id);
      }
      return inserted;
    });
    const groupId = await createGroup(dir, 'Everyone', ids);
    const newcomer = await createUser(dir, 'newcomer@example.test');
    const pokedBefore = server.pokedEvents(dir.id).length;

    const res = await call(dir, 'PATCH', `/Groups/${groupId}`, {
      body: patchBody({ op: 'add', path: 'members', value: [{ value: newcomer }] }),
    });
    expect(res.status).to.be.oneOf([200, 204]);
    const events = server.pokedEvents(dir.id).slice(pokedBefore);
    expect(events.filter((e) => e.kind === 'membership').map((e) => e.identityId)).to.deep.equal([newcomer]);

    const slim = await call(dir, 'GET', `/Groups/${groupId}?excludedAttributes=members`);
    expect(slim.status).to.equal(200);
    expect(slim.body).to.include({ id: groupId, displayName: 'Everyone' });
    expect(slim.body).to.not.have.property('members');
    expect(slim.text.length).to.be.below(2000);

    const full = await memberIds(groupId);
    expect(full).to.have.length(2001);
    expect(full).to.include(newcomer);
  });
});
