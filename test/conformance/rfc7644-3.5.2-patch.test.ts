// test/conformance/rfc7644-3.5.2-patch.test.ts: RFC 7644 §3.5.2 PATCH on users over HTTP: add, replace and remove in every path form.
import { expect } from 'chai';
import { call, ENTERPRISE_SCHEMA, patchBody } from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';
import { createPatchSubject, useConformanceServer } from '../helpers/conformance-fixtures';

describe('RFC 7644 §3.5.2 modifying users with PATCH', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;
  let id: string;

  const patch = (...ops: Record<string, unknown>[]) => call(dir, 'PATCH', `/Users/${id}`, { body: patchBody(...ops) });
  const read = async () => (await call(dir, 'GET', `/Users/${id}`)).body;
  const kinds = () => server.pokedEvents(dir.id).map((e) => e.kind);

  const suite = useConformanceServer();
  beforeEach(async function () {
    server = suite.server;
    dir = await server.newDirectory();
    id = await createPatchSubject(dir);
  });

  describe('add (§3.5.2.1)', function () {
    it('sets a simple attribute and answers 200 with the modified resource and its new ETag', async function () {
      const res = await patch({ op: 'add', path: 'nickName', value: 'Patty' });
      expect(res.status).to.equal(200);
      expect(res.body.nickName).to.equal('Patty');
      expect(res.headers.get('etag')).to.equal(res.body.meta.version).and.not.equal('W/"1"');
      expect((await read()).nickName).to.equal('Patty');
      expect(kinds()).to.deep.equal(['created', 'updated']);
    });

    it('merges a path-less value into the resource without touching other sub-attributes', async function () {
      expect((await patch({ op: 'add', value: { nickName: 'P', name: { honorificPrefix: 'Dr.' } } })).status).to.equal(
        200,
      );
      const user = await read();
      expect(user.nickName).to.equal('P');
      expect(user.name).to.deep.include({ givenName: 'Pat', familyName: 'Doe', honorificPrefix: 'Dr.' });
    });

    it('appends to a multi-valued attribute', async function () {
      expect(
        (await patch({ op: 'add', path: 'emails', value: [{ value: 'pat@other.example', type: 'other' }] })).status,
      ).to.equal(200);
      expect((await read()).emails.map((e: { value: string }) => e.value)).to.have.members([
        'pat@work.example',
        'pat@home.example',
        'pat@other.example',
      ]);
    });

    it('keeps a single primary: adding a primary email clears primary on the existing ones (RFC 7643 §2.4)', async function () {
      expect(
        (
          await patch({
            op: 'add',
            path: 'emails',
            value: [{ value: 'pat@main.example', type: 'other', primary: true }],
          })
        ).status,
      ).to.equal(200);
      const primaries = ((await read()).emails as { value: string; primary?: boolean }[]).filter(
        (e) => e.primary === true,
      );
      expect(primaries.map((e) => e.value)).to.deep.equal(['pat@main.example']);
    });

    it('adds a URN-qualified extension attribute', async function () {
      expect((await patch({ op: 'add', path: `${ENTERPRISE_SCHEMA}:employeeNumber`, value: '42' })).status).to.equal(
        200,
      );
      expect((await read())[ENTERPRISE_SCHEMA]).to.deep.include({ department: 'Sales', employeeNumber: '42' });
    });
  });

  describe('the enterprise extension and its manager (RFC 7643 §4.3)', function () {
    const manager = (user: Record<string, any>) => user[ENTERPRISE_SCHEMA]?.manager;
    for (const op of ['add', 'replace'])
      it(`${op}s the extension as a whole and returns the manager with a $ref to it`, async function () {
        const res = await patch({
          op,
          path: ENTERPRISE_SCHEMA,
          value: { department: 'R&D', manager: { value: 'boss-1', $ref: '../Users/boss-1' } },
        });
        expect(res.status).to.equal(200);
        const expected = { value: 'boss-1', $ref: `${dir.baseUrl}/Users/boss-1` };
        expect(manager(res.body)).to.deep.equal(expected);
        expect(res.body[ENTERPRISE_SCHEMA].department).to.equal('R&D');
        expect(res.body.schemas).to.include(ENTERPRISE_SCHEMA);
        expect(manager(await read())).to.deep.equal(expected);
        // The same in a projected answer (rendered apart from the stored text).
        const projected = await call(dir, 'GET', `/Users/${id}?attributes=${ENTERPRISE_SCHEMA}:manager`);
        expect(manager(projected.body)).to.deep.equal(expected);
      });

    it('sets the manager by its sub-attribute path, as a bare id too, and derives its $ref', async function () {
      for (const value of [{ value: 'boss-2' }, 'boss-2']) {
        const res = await patch({ op: 'replace', path: `${ENTERPRISE_SCHEMA}:manager`, value });
        expect(manager(res.body)).to.deep.equal({ value: 'boss-2', $ref: `${dir.baseUrl}/Users/boss-2` });
      }
    });
  });

  describe('replace (§3.5.2.3)', function () {
    it('replaces a simple attribute and a sub-attribute', async function () {
      expect(
        (
          await patch(
            { op: 'replace', path: 'title', value: 'Lead' },
            { op: 'replace', path: 'name.familyName', value: 'Roe' },
          )
        ).status,
      ).to.equal(200);
      const user = await read();
      expect(user.title).to.equal('Lead');
      expect(user.name).to.deep.include({ givenName: 'Pat', familyName: 'Roe' });
    });

    it('replaces the sub-attribute of the elements a value filter selects, and only those', async function () {
      expect(
        (await patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'pat@new-work.example' })).status,
      ).to.equal(200);
      const emails = (await read()).emails as { value: string; type: string }[];
      expect(emails.find((e) => e.type === 'work')?.value).to.equal('pat@new-work.example');
      expect(emails.find((e) => e.type === 'home')?.value).to.equal('pat@home.example');
    });

    it('replaces only the listed sub-attributes when the path is a complex attribute', async function () {
      expect((await patch({ op: 'replace', path: 'name', value: { familyName: 'Roe' } })).status).to.equal(200);
      expect((await read()).name).to.deep.include({ givenName: 'Pat', middleName: 'Q', familyName: 'Roe' });
    });

    it('replaces the whole element a value filter selects when the path has no sub-attribute', async function () {
      const res = await patch({
        op: 'replace',
        path: 'emails[type eq "home"]',
        value: { value: 'pat@new-home.example', type: 'home' },
      });
      expect(res.status).to.equal(200);
      const emails = (await read()).emails as { value: string; type: string }[];
      expect(emails.map((e) => e.value)).to.have.members(['pat@work.example', 'pat@new-home.example']);
    });

    it('replaces a whole multi-valued attribute', async function () {
      expect(
        (await patch({ op: 'replace', path: 'emails', value: [{ value: 'only@example.test', type: 'work' }] })).status,
      ).to.equal(200);
      expect((await read()).emails.map((e: { value: string }) => e.value)).to.deep.equal(['only@example.test']);
    });

    it('replaces with a path-less value object', async function () {
      expect((await patch({ op: 'replace', value: { title: 'Boss', active: false } })).status).to.equal(200);
      const user = await read();
      expect(user).to.include({ title: 'Boss', active: false });
      expect(kinds()).to.deep.equal(['created', 'deactivated']);
    });

    it('replaces a URN-qualified extension attribute', async function () {
      expect((await patch({ op: 'replace', path: `${ENTERPRISE_SCHEMA}:department`, value: 'Ops' })).status).to.equal(
        200,
      );
      expect((await read())[ENTERPRISE_SCHEMA].department).to.equal('Ops');
    });

    it('answers 400 noTarget when a value filter selects nothing', async function () {
      const res = await patch({ op: 'replace', path: 'emails[type eq "pager"].value', value: 'x@example.test' });
      expect(res.status).to.equal(400);
      expect(res.body.scimType).to.equal('noTarget');
    });

    it('records a reactivated event when active goes back to true, and nothing for a no-op', async function () {
      await patch({ op: 'replace', path: 'active', value: false });
      await patch({ op: 'replace', path: 'active', value: true });
      const before = await read();
      const res = await patch({ op: 'replace', path: 'title', value: 'Engineer' });
      expect(res.status).to.equal(200);
      expect(res.body.meta.version).to.equal(before.meta.version);
      expect(kinds()).to.deep.equal(['created', 'deactivated', 'reactivated']);
    });
  });

  describe('remove (§3.5.2.2)', function () {
    it('removes a simple attribute and a sub-attribute', async function () {
      expect((await patch({ op: 'remove', path: 'title' }, { op: 'remove', path: 'name.middleName' })).status).to.equal(
        200,
      );
      const user = await read();
      expect(user).to.not.have.property('title');
      expect(user.name).to.not.have.property('middleName');
      expect(user.name).to.deep.include({ givenName: 'Pat' });
    });

    it('removes the elements a value filter selects', async function () {
      expect((await patch({ op: 'remove', path: 'emails[type eq "home"]' })).status).to.equal(200);
      expect((await read()).emails.map((e: { type: string }) => e.type)).to.deep.equal(['work']);
    });

    it('removes `active` (the user stays active for provisioning: absent reads as active)', async function () {
      const res = await patch({ op: 'remove', path: 'active' });
      expect(res.status).to.equal(200);
      expect(res.body).to.not.have.property('active');
      expect(await read()).to.not.have.property('active');
      expect((await server.stores.resources.get(dir.id, 'User', id))?.active).to.equal(true);
      expect(kinds()).to.deep.equal(['created', 'updated']); // not a leaver
    });

    it('removes a whole multi-valued attribute', async function () {
      expect((await patch({ op: 'remove', path: 'emails' })).status).to.equal(200);
      expect(await read()).to.not.have.property('emails');
    });

    it('answers 400 noTarget for a remove without a path', async function () {
      const res = await patch({ op: 'remove' });
      expect(res.status).to.equal(400);
      expect(res.body.scimType).to.equal('noTarget');
    });
  });
});
