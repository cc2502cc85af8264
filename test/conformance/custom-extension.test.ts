// test/conformance/custom-extension.test.ts: per-directory custom User extension schemas (directory config `userExtensions`).
import { expect } from 'chai';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';
import { call } from '../helpers/conformance-server';
import { useConformanceServer } from '../helpers/conformance-fixtures';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ACME = 'urn:acme:params:scim:schemas:extension:acme:2.0:User';

describe('custom User extension schemas', function () {
  const suite = useConformanceServer();
  let server: ConformanceServer;
  let dir: TestDirectory;
  let other: TestDirectory;
  const send = async (d: TestDirectory, method: string, path: string, body?: unknown) => {
    const res = await call(d, method, path, body === undefined ? {} : { body });
    return { status: res.status, body: res.body as Record<string, any> };
  };

  before(async function () {
    server = suite.server;
    dir = await server.newDirectory('generic');
    other = await server.newDirectory('generic');
    const row = (await server.stores.directories.get(dir.id))!;
    await server.stores.directories.updateConfig(dir.id, {
      ...row.config,
      userExtensions: [
        {
          id: ACME,
          name: 'AcmeUser',
          description: 'Acme attributes',
          attributes: [
            {
              name: 'clearance',
              type: 'string',
              multiValued: false,
              required: false,
              caseExact: false,
              mutability: 'readWrite',
              returned: 'default',
              uniqueness: 'none',
            },
          ],
        },
      ],
    });
  });

  it('stores, returns, filters on and advertises the extension of its own directory only', async function () {
    const created = await send(dir, 'POST', '/Users', {
      schemas: [USER, ACME],
      userName: 'ext@example.test',
      [ACME]: { clearance: 'High' },
    });
    expect(created.status).to.equal(201);
    expect(created.body.schemas).to.include(ACME);
    expect(created.body[ACME]).to.deep.equal({ clearance: 'High' });
    const found = await send(dir, 'GET', `/Users?filter=${encodeURIComponent(`${ACME}:clearance eq "high"`)}`);
    expect(found.body.totalResults).to.equal(1);
    const schema = await send(dir, 'GET', `/Schemas/${ACME}`);
    expect(schema.status).to.equal(200);
    const types = await send(dir, 'GET', '/ResourceTypes/User');
    expect(types.body.schemaExtensions.map((e: { schema: string }) => e.schema)).to.include(ACME);
    expect((await send(other, 'GET', `/Schemas/${ACME}`)).status).to.equal(404);
  });

  it('rejects a wrongly typed extension value with 400 invalidValue', async function () {
    const res = await send(dir, 'POST', '/Users', {
      schemas: [USER, ACME],
      userName: 'ext2@example.test',
      [ACME]: { clearance: { level: 1 } },
    });
    expect(res.status).to.equal(400);
    expect(res.body.scimType).to.equal('invalidValue');
  });
});
