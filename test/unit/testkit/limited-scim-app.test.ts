// test/unit/testkit/limited-scim-app.test.ts: the limited app's Users endpoint, auth, filters, paging, discovery and HTTP errors.
import { expect } from 'chai';
import type { LimitedScimApp } from '../../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../../testkit/limited-scim-app';
import type { Answer } from './limited-scim-client';
import { LIST_URN, USER_URN, expectScimError, scimClient, userBody } from './limited-scim-client';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('limited SCIM app: Users (testkit/limited-scim-app.ts)', function () {
  let app: LimitedScimApp;
  let call: ReturnType<typeof scimClient>;

  before(async function () {
    app = await startLimitedScimApp({ token: 'test-token' });
    call = scimClient(app);
  });
  after(() => app.stop());
  afterEach(() => app.reset());

  const create = async (userName: string, extra: Record<string, unknown> = {}): Promise<Answer> => {
    const answer = await call('POST', '/Users', { body: userBody(userName, extra) });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
    return answer;
  };
  const listIds = (answer: Answer): string[] => answer.body.Resources.map((user: { id: string }) => user.id);

  describe('authentication', function () {
    it('answers 401 with a SCIM error when the bearer token is missing or wrong', async function () {
      for (const token of [null, 'wrong-token']) {
        const answer = await call('GET', '/Users', { token });
        expectScimError(answer, 401);
        expect(answer.headers.get('www-authenticate')).to.match(/^Bearer/);
      }
      expectScimError(await call('POST', '/Users', { token: null, body: userBody('ada') }), 401);
      expect(app.users()).to.deep.equal([]);
    });

    it('serves discovery without a token', async function () {
      for (const path of ['/ServiceProviderConfig', '/ResourceTypes', '/Schemas'])
        expect((await call('GET', path, { token: null })).status, path).to.equal(200);
    });

    it('uses a random token when none is given', async function () {
      const other = await startLimitedScimApp();
      try {
        expect(other.token).to.have.length.greaterThan(20);
        expect((await scimClient(other)('GET', '/Users')).status).to.equal(200);
      } finally {
        await other.stop();
      }
    });
  });

  describe('POST /Users', function () {
    it('stores the user with an id, meta and active defaulting to true, and answers 201 with Location', async function () {
      const answer = await create('ada@acme.test', { externalId: 'e-1', name: { givenName: 'Ada' } });
      const user = answer.body;
      expect(answer.headers.get('content-type')).to.equal('application/scim+json');
      expect(user.id).to.match(UUID);
      expect(user).to.deep.include({
        schemas: [USER_URN],
        userName: 'ada@acme.test',
        active: true,
        externalId: 'e-1',
        name: { givenName: 'Ada' },
      });
      expect(user.meta).to.deep.include({ resourceType: 'User', location: `${app.baseUrl}/Users/${user.id}` });
      expect(user.meta.created).to.equal(user.meta.lastModified);
      expect(answer.headers.get('location')).to.equal(user.meta.location);
      expect(app.user(user.id)).to.deep.equal(user);
    });

    it('keeps active false when it is sent, and ignores a client-chosen id and meta', async function () {
      const { body } = await create('bob', { active: false, id: 'mine', meta: { created: 'yesterday' } });
      expect(body.active).to.equal(false);
      expect(body.id).to.match(UUID);
      expect(body.meta.created).not.to.equal('yesterday');
    });

    it('refuses a body without userName or the User schema with 400 invalidValue', async function () {
      expectScimError(await call('POST', '/Users', { body: { schemas: [USER_URN] } }), 400, 'invalidValue');
      expectScimError(await call('POST', '/Users', { body: { userName: 'ada' } }), 400, 'invalidValue');
      expectScimError(await call('POST', '/Users', { body: userBody('ada', { active: 'yes' }) }), 400, 'invalidValue');
      expect(app.users()).to.deep.equal([]);
    });

    it('refuses a userName already taken in another case with 409 uniqueness', async function () {
      await create('Ada@Acme.test');
      expectScimError(await call('POST', '/Users', { body: userBody('ada@acme.TEST') }), 409, 'uniqueness');
      expect(app.users()).to.have.length(1);
    });
  });

  describe('GET, PUT, DELETE and PATCH /Users/{id}', function () {
    it('reads a user, and answers 404 for an unknown id', async function () {
      const { body: user } = await create('ada');
      expect((await call('GET', `/Users/${user.id}`)).body).to.deep.equal(user);
      expectScimError(await call('GET', '/Users/no-such-id'), 404);
    });

    it('replaces the whole user on PUT, keeping id and meta.created', async function () {
      const { body: user } = await create('ada', { externalId: 'e-1', displayName: 'Ada' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const answer = await call('PUT', `/Users/${user.id}`, { body: userBody('ADA', { active: false, id: 'other' }) });
      expect(answer.status).to.equal(200);
      expect(answer.body).to.deep.include({ id: user.id, userName: 'ADA', active: false });
      expect(answer.body).not.to.have.any.keys('externalId', 'displayName');
      expect(answer.body.meta.created).to.equal(user.meta.created);
      expect(answer.body.meta.lastModified > user.meta.lastModified).to.equal(true);
      expect(app.user(user.id)).to.deep.equal(answer.body);
    });

    it('checks userName uniqueness on PUT and answers 404 for an unknown id', async function () {
      await create('ada');
      const { body: bob } = await create('bob');
      expectScimError(await call('PUT', `/Users/${bob.id}`, { body: userBody('Ada') }), 409, 'uniqueness');
      expectScimError(await call('PUT', `/Users/${bob.id}`, { body: { schemas: [USER_URN] } }), 400, 'invalidValue');
      expectScimError(await call('PUT', '/Users/no-such-id', { body: userBody('carol') }), 404);
      expect(app.user(bob.id)?.userName).to.equal('bob');
    });

    it('deletes a user with 204, then answers 404', async function () {
      const { body: user } = await create('ada');
      const answer = await call('DELETE', `/Users/${user.id}`);
      expect(answer.status).to.equal(204);
      expect(answer.body).to.equal(undefined);
      expect(app.users()).to.deep.equal([]);
      expectScimError(await call('DELETE', `/Users/${user.id}`), 404);
    });

    it('answers PATCH with 501 and changes nothing, since this app has no PATCH for Users', async function () {
      const { body: user } = await create('ada');
      const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] };
      expectScimError(await call('PATCH', `/Users/${user.id}`, { body: patch }), 501);
      expect(app.user(user.id)).to.deep.equal(user);
    });
  });

  describe('GET /Users: paging', function () {
    it('pages with a 1-based startIndex and count', async function () {
      const ids = [];
      for (const name of ['a', 'b', 'c', 'd', 'e']) ids.push((await create(name)).body.id);
      const answer = await call('GET', '/Users?startIndex=2&count=2');
      expect(answer.body).to.deep.include({ schemas: [LIST_URN], totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(listIds(answer)).to.deep.equal(ids.slice(1, 3));
      expect(listIds(await call('GET', '/Users'))).to.deep.equal(ids);
      expect((await call('GET', '/Users?startIndex=0&count=0')).body).to.deep.include({
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });
    });

    it('serves at most 100 per page, 100 by default', async function () {
      for (let i = 0; i < 101; i++) app.seedUser({ userName: `user-${i}` });
      for (const query of ['', '?count=500']) {
        const answer = await call('GET', `/Users${query}`);
        expect(answer.body).to.deep.include({ totalResults: 101, itemsPerPage: 100 });
      }
      expect((await call('GET', '/Users?startIndex=101')).body.Resources[0].userName).to.equal('user-100');
    });

    it('refuses a non-numeric startIndex or count with 400 invalidValue', async function () {
      expectScimError(await call('GET', '/Users?startIndex=two'), 400, 'invalidValue');
      expectScimError(await call('GET', '/Users?count=1.5'), 400, 'invalidValue');
    });
  });

  describe('GET /Users: filters', function () {
    let ada: any;
    let bob: any;
    beforeEach(async function () {
      ada = (await create('Ada@acme.test', { externalId: 'Ext-1', displayName: 'Ada "the first" L' })).body;
      bob = (await create('bob@acme.test', { externalId: 'ext-2', active: false })).body;
    });
    const search = async (filter: string) => listIds(await call('GET', `/Users?filter=${encodeURIComponent(filter)}`));

    it('matches userName case-insensitively', async function () {
      expect(await search('userName eq "ada@ACME.test"')).to.deep.equal([ada.id]);
      expect(await search('UserName EQ "BOB@acme.test"')).to.deep.equal([bob.id]);
    });

    it('matches other top-level attributes exactly', async function () {
      expect(await search('externalId eq "Ext-1"')).to.deep.equal([ada.id]);
      expect(await search('externalId eq "ext-1"')).to.deep.equal([]);
      expect(await search(`id eq "${bob.id}"`)).to.deep.equal([bob.id]);
      expect(await search('displayName eq "Ada \\"the first\\" L"')).to.deep.equal([ada.id]);
      expect(await search('nickName eq "x"')).to.deep.equal([]);
    });

    it('matches booleans with eq true and eq false', async function () {
      expect(await search('active eq false')).to.deep.equal([bob.id]);
      expect(await search('active eq true')).to.deep.equal([ada.id]);
      expect(await search('active eq "true"')).to.deep.equal([]);
    });

    it('decodes the query string as usual, + included', async function () {
      const answer = await call('GET', '/Users?filter=userName+eq+%22bob%40acme.test%22');
      expect(listIds(answer)).to.deep.equal([bob.id]);
    });

    for (const filter of [
      'userName sw "ada"',
      'userName ne "ada"',
      'userName pr',
      'userName eq "ada" and active eq true',
      'userName eq "ada" or userName eq "bob"',
      'not (userName eq "ada")',
      'name.givenName eq "Ada"',
      'emails.value eq "ada@acme.test"',
      'emails[type eq "work"]',
      'members.value eq "x"',
      'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada"',
      'userName eq ada',
      'userName eq "unterminated',
      'active eq 1',
      '',
    ])
      it(`refuses the filter '${filter}' with 400 invalidFilter`, async function () {
        expectScimError(await call('GET', `/Users?filter=${encodeURIComponent(filter)}`), 400, 'invalidFilter');
      });

    it('ignores attributes and excludedAttributes, returning whole resources', async function () {
      const answer = await call(
        'GET',
        `/Users?filter=${encodeURIComponent('userName eq "bob@acme.test"')}&attributes=id`,
      );
      expect(answer.body.Resources).to.deep.equal([bob]);
      expect((await call('GET', `/Users/${ada.id}?excludedAttributes=externalId`)).body).to.deep.equal(ada);
    });
  });

  describe('discovery', function () {
    it('tells in ServiceProviderConfig that there is no PATCH, bulk, sort, etag or password change', async function () {
      const { body } = await call('GET', '/ServiceProviderConfig');
      expect(body.schemas).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      expect(body).to.deep.include({
        patch: { supported: false },
        filter: { supported: true, maxResults: 100 },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
      });
      expect(body.bulk.supported).to.equal(false);
      expect(body.authenticationSchemes.map((scheme: { type: string }) => scheme.type)).to.deep.equal([
        'oauthbearertoken',
      ]);
    });

    it('lists only the User resource type and schema, and has no /Groups', async function () {
      const types = (await call('GET', '/ResourceTypes')).body;
      expect(types.schemas).to.deep.equal([LIST_URN]);
      expect(types.Resources.map((type: { id: string }) => type.id)).to.deep.equal(['User']);
      expect((await call('GET', '/ResourceTypes/User')).body.endpoint).to.equal('/Users');
      expectScimError(await call('GET', '/ResourceTypes/Group'), 404);
      const schemas = (await call('GET', '/Schemas')).body;
      expect(schemas.Resources.map((schema: { id: string }) => schema.id)).to.deep.equal([USER_URN]);
      expect((await call('GET', `/Schemas/${USER_URN}`)).body.name).to.equal('User');
      expectScimError(await call('GET', '/Groups'), 404);
      expectScimError(await call('POST', '/Groups', { body: { displayName: 'x' } }), 404);
    });
  });

  describe('HTTP errors', function () {
    it('answers unknown paths with a SCIM 404, inside and outside the base URL', async function () {
      expectScimError(await call('GET', '/Widgets'), 404);
      expectScimError(await call('GET', '/Users/a/b'), 404);
      const outside = await fetch(new URL('/elsewhere', app.baseUrl));
      expect(outside.status).to.equal(404);
      expect(((await outside.json()) as { status: string }).status).to.equal('404');
    });

    it('answers a wrong method with 405 and Allow', async function () {
      const answer = await call('DELETE', '/Users');
      expectScimError(answer, 405);
      expect(answer.headers.get('allow')).to.equal('GET, POST');
      expectScimError(await call('POST', '/ServiceProviderConfig', { body: {} }), 405);
    });

    it('refuses a body that is not a JSON object with 400 invalidSyntax', async function () {
      for (const body of ['{"userName": ', '', '["a"]', '42'])
        expectScimError(await call('POST', '/Users', { body }), 400, 'invalidSyntax');
    });

    it('refuses a body over 1 MiB with 413, and keeps serving', async function () {
      const body = JSON.stringify(userBody('big', { padding: 'x'.repeat(1024 * 1024) }));
      expectScimError(await call('POST', '/Users', { body }), 413);
      expect(app.users()).to.deep.equal([]);
      await create('small');
    });
  });
});
