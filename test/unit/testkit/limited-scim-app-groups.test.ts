// test/unit/testkit/limited-scim-app-groups.test.ts: the limited app's optional Groups: displayName filter and member PATCH only.
import { expect } from 'chai';
import type { LimitedScimApp, ScimUser } from '../../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../../testkit/limited-scim-app';
import { GROUP_URN, expectScimError, patchBody, scimClient } from './limited-scim-client';

describe('limited SCIM app: groups mode (testkit/limited-scim-app.ts)', function () {
  let app: LimitedScimApp;
  let call: ReturnType<typeof scimClient>;
  let ada: ScimUser;
  let bob: ScimUser;

  before(async function () {
    app = await startLimitedScimApp({ groups: true });
    call = scimClient(app);
  });
  after(() => app.stop());
  beforeEach(function () {
    ada = app.seedUser({ userName: 'ada' });
    bob = app.seedUser({ userName: 'bob' });
  });
  afterEach(() => app.reset());

  const createGroup = async (displayName: string, members: object[] = []): Promise<any> => {
    const answer = await call('POST', '/Groups', { body: { schemas: [GROUP_URN], displayName, members } });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    return answer.body;
  };
  const membersOf = (id: string): string[] => (app.group(id)?.members ?? []).map((member) => member.value);
  const patch = (id: string, ...operations: object[]) =>
    call('PATCH', `/Groups/${id}`, { body: patchBody(...operations) });

  it('declares PATCH and the Group resource type and schema', async function () {
    expect((await call('GET', '/ServiceProviderConfig')).body.patch).to.deep.equal({ supported: true });
    const types = (await call('GET', '/ResourceTypes')).body.Resources;
    expect(types.map((type: { id: string }) => type.id)).to.deep.equal(['User', 'Group']);
    expect((await call('GET', `/Schemas/${GROUP_URN}`)).body.name).to.equal('Group');
  });

  describe('POST, GET and DELETE /Groups', function () {
    it('creates a group with its members and answers 201 with Location', async function () {
      const answer = await call('POST', '/Groups', {
        body: { schemas: [GROUP_URN], displayName: 'Engineering', members: [{ value: ada.id, display: 'Ada' }] },
      });
      expect(answer.status).to.equal(201);
      expect(answer.body).to.deep.include({ schemas: [GROUP_URN], displayName: 'Engineering' });
      expect(answer.body.members).to.deep.equal([{ value: ada.id, display: 'Ada' }]);
      expect(answer.headers.get('location')).to.equal(`${app.baseUrl}/Groups/${answer.body.id}`);
      expect(answer.body.meta).to.deep.include({ resourceType: 'Group', location: answer.headers.get('location') });
      expect((await call('GET', `/Groups/${answer.body.id}`)).body).to.deep.equal(answer.body);
    });

    it('refuses a missing displayName or a member that is not a user with 400 invalidValue', async function () {
      expectScimError(await call('POST', '/Groups', { body: { schemas: [GROUP_URN] } }), 400, 'invalidValue');
      const body = { schemas: [GROUP_URN], displayName: 'x', members: [{ value: 'ghost' }] };
      expectScimError(await call('POST', '/Groups', { body }), 400, 'invalidValue');
      expect(app.groups()).to.deep.equal([]);
    });

    it('keeps displayName unique case-sensitively: 409 uniqueness for the same name only', async function () {
      await createGroup('Engineering');
      const body = { schemas: [GROUP_URN], displayName: 'Engineering' };
      expectScimError(await call('POST', '/Groups', { body }), 409, 'uniqueness');
      await createGroup('engineering');
      expect(app.groups()).to.have.length(2);
    });

    it('deletes a group with 204, then answers 404', async function () {
      const group = await createGroup('Engineering');
      expect((await call('DELETE', `/Groups/${group.id}`)).status).to.equal(204);
      expectScimError(await call('GET', `/Groups/${group.id}`), 404);
      expectScimError(await call('DELETE', `/Groups/${group.id}`), 404);
    });

    it('does not support PUT on a group', async function () {
      const group = await createGroup('Engineering');
      expectScimError(
        await call('PUT', `/Groups/${group.id}`, { body: { schemas: [GROUP_URN], displayName: 'x' } }),
        501,
      );
      expect(app.group(group.id)?.displayName).to.equal('Engineering');
    });

    it('removes a deleted user from every group', async function () {
      const one = await createGroup('one', [{ value: ada.id }, { value: bob.id }]);
      const two = await createGroup('two', [{ value: ada.id }]);
      expect((await call('DELETE', `/Users/${ada.id}`)).status).to.equal(204);
      expect(membersOf(one.id)).to.deep.equal([bob.id]);
      expect(membersOf(two.id)).to.deep.equal([]);
    });
  });

  describe('GET /Groups filters', function () {
    it('finds a group by displayName, exactly', async function () {
      const group = await createGroup('Engineering');
      await createGroup('Sales');
      const search = async (filter: string) =>
        (await call('GET', `/Groups?filter=${encodeURIComponent(filter)}`)).body.Resources.map((g: any) => g.id);
      expect(await search('displayName eq "Engineering"')).to.deep.equal([group.id]);
      expect(await search('displayName eq "engineering"')).to.deep.equal([]);
      expect((await call('GET', '/Groups')).body.totalResults).to.equal(2);
    });

    for (const filter of [`members.value eq "some-id"`, 'id eq "x"', 'displayName sw "Eng"', 'displayName eq true'])
      it(`refuses the filter '${filter}' with 400 invalidFilter`, async function () {
        expectScimError(await call('GET', `/Groups?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
      });
  });

  describe('PATCH /Groups/{id}', function () {
    let group: any;
    beforeEach(async function () {
      group = await createGroup('Engineering');
    });

    it('adds members with 204, and re-adding a present member changes nothing', async function () {
      expect((await patch(group.id, { op: 'add', path: 'members', value: [{ value: ada.id }] })).status).to.equal(204);
      expect(membersOf(group.id)).to.deep.equal([ada.id]);
      const again = await patch(group.id, {
        op: 'Add',
        path: 'members',
        value: [{ value: ada.id }, { value: bob.id }],
      });
      expect(again.status).to.equal(204);
      expect(membersOf(group.id)).to.deep.equal([ada.id, bob.id]);
      expect((await call('GET', `/Groups/${group.id}`)).body.members).to.deep.equal([
        { value: ada.id },
        { value: bob.id },
      ]);
    });

    it('removes a member by value filter, and removing an absent one is a no-op', async function () {
      await patch(group.id, { op: 'add', path: 'members', value: [{ value: ada.id }, { value: bob.id }] });
      const remove = { op: 'remove', path: `members[value eq ${JSON.stringify(ada.id)}]` };
      expect((await patch(group.id, remove)).status).to.equal(204);
      expect(membersOf(group.id)).to.deep.equal([bob.id]);
      expect((await patch(group.id, remove)).status).to.equal(204);
      expect((await patch(group.id, { op: 'remove', path: 'members[value eq "ghost"]' })).status).to.equal(204);
      expect(membersOf(group.id)).to.deep.equal([bob.id]);
    });

    it('removes members listed in value, Entra style', async function () {
      await patch(group.id, { op: 'add', path: 'members', value: [{ value: ada.id }, { value: bob.id }] });
      const answer = await patch(group.id, { op: 'Remove', path: 'members', value: [{ value: bob.id }] });
      expect(answer.status).to.equal(204);
      expect(membersOf(group.id)).to.deep.equal([ada.id]);
    });

    it('refuses adding a member that is not a user with 400 invalidValue, and applies no operation', async function () {
      const answer = await patch(
        group.id,
        { op: 'add', path: 'members', value: [{ value: ada.id }] },
        { op: 'add', path: 'members', value: [{ value: 'ghost' }] },
      );
      expectScimError(answer, 400, 'invalidValue');
      expect(membersOf(group.id)).to.deep.equal([]);
    });

    it('refuses what it does not support, with the RFC 7644 error codes, and changes nothing', async function () {
      await patch(group.id, { op: 'add', path: 'members', value: [{ value: ada.id }] });
      const cases: Array<[object, string]> = [
        [{ op: 'remove' }, 'noTarget'],
        [{ op: 'remove', path: 'members' }, 'invalidValue'],
        [{ op: 'add', path: 'members', value: { value: bob.id } }, 'invalidValue'],
        [{ op: 'replace', path: 'members', value: [{ value: bob.id }] }, 'invalidPath'],
        [{ op: 'replace', path: 'displayName', value: 'x' }, 'invalidPath'],
        [{ op: 'add', value: { members: [{ value: bob.id }] } }, 'invalidPath'],
        [{ op: 'remove', path: `members[display eq "Ada"]` }, 'invalidPath'],
        [{ op: 'move', path: 'members' }, 'invalidSyntax'],
      ];
      for (const [operation, scimType] of cases) expectScimError(await patch(group.id, operation), 400, scimType);
      expectScimError(await call('PATCH', `/Groups/${group.id}`, { body: { Operations: [] } }), 400, 'invalidSyntax');
      expectScimError(await patch(group.id), 400, 'invalidSyntax');
      expect(membersOf(group.id)).to.deep.equal([ada.id]);
      expect(app.group(group.id)?.displayName).to.equal('Engineering');
    });

    it('answers 404 for an unknown group', async function () {
      expectScimError(await patch('no-such-group', { op: 'add', path: 'members', value: [{ value: ada.id }] }), 404);
    });
  });
});
