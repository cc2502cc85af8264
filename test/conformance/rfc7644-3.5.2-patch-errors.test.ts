// test/conformance/rfc7644-3.5.2-patch-errors.test.ts: RFC 7644 §3.5.2 PATCH errors on users: scimTypes, atomicity, uniqueness.
import { expect } from 'chai';
import { call, createUser, ERROR_SCHEMA, patchBody } from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';
import { createPatchSubject, useConformanceServer } from '../helpers/conformance-fixtures';

describe('RFC 7644 §3.5.2 PATCH errors and atomicity', function () {
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

  const cases: [string, Record<string, unknown>[], number, string][] = [
    ['an unknown attribute', [{ op: 'replace', path: 'favoriteColour', value: 'teal' }], 400, 'invalidPath'],
    ['an unknown sub-attribute', [{ op: 'replace', path: 'name.shoeSize', value: '9' }], 400, 'invalidPath'],
    ['the readOnly id', [{ op: 'replace', path: 'id', value: 'hijacked' }], 400, 'mutability'],
    ['a value of the wrong type', [{ op: 'replace', path: 'name', value: 42 }], 400, 'invalidValue'],
    ['an unknown op', [{ op: 'move', path: 'title', value: 'x' }], 400, 'invalidSyntax'],
  ];
  for (const [what, ops, status, scimType] of cases) {
    it(`answers ${status} ${scimType} for ${what}`, async function () {
      const res = await patch(...ops);
      expect(res.status).to.equal(status);
      expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
      expect(res.body.scimType).to.equal(scimType);
    });
  }

  it('rejects a body without the PatchOp schema or without Operations with 400 invalidSyntax', async function () {
    for (const body of [{ Operations: [{ op: 'add', path: 'title', value: 'x' }] }, { schemas: patchBody().schemas }]) {
      const res = await call(dir, 'PATCH', `/Users/${id}`, { body });
      expect(res.status).to.equal(400);
      expect(res.body.scimType).to.equal('invalidSyntax');
    }
  });

  it('applies nothing when a later operation fails: the resource, its version and the event log are unchanged', async function () {
    const before = await read();
    const res = await patch(
      { op: 'replace', path: 'title', value: 'Half-applied' },
      { op: 'replace', path: 'active', value: false },
      { op: 'remove', path: 'emails[type eq "pager"]' },
      { op: 'replace', path: 'favoriteColour', value: 'teal' },
    );
    expect(res.status).to.equal(400);
    const after = await read();
    expect(after).to.deep.equal(before);
    expect(kinds()).to.deep.equal(['created']);
  });

  it('refuses a userName another user holds with 409 uniqueness', async function () {
    await createUser(dir, 'taken@example.test');
    const res = await patch({ op: 'replace', path: 'userName', value: 'Taken@example.test' });
    expect(res.status).to.equal(409);
    expect((await read()).userName).to.equal('pat@example.test');
  });

  it('answers 404 for a PATCH of a user that does not exist', async function () {
    const res = await call(dir, 'PATCH', '/Users/no-such-user', {
      body: patchBody({ op: 'replace', path: 'title', value: 'x' }),
    });
    expect(res.status).to.equal(404);
  });
});
