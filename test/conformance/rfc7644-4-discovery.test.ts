// test/conformance/rfc7644-4-discovery.test.ts: RFC 7644 §4 discovery: ServiceProviderConfig, ResourceTypes, Schemas; /Me is 501.
import { expect } from 'chai';
import {
  call,
  ENTERPRISE_SCHEMA,
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  LIST_SCHEMA,
  startConformanceServer,
  USER_SCHEMA,
} from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0';

describe('RFC 7644 §4 service provider discovery', function () {
  let server: ConformanceServer;
  let dir: TestDirectory;

  before(async function () {
    server = await startConformanceServer();
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

  it('describes the service in /ServiceProviderConfig, with the limits it enforces', async function () {
    const res = await call(dir, 'GET', '/ServiceProviderConfig');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('application/scim+json');
    const config = res.body;
    expect(config.schemas).to.deep.equal([`${CORE}:ServiceProviderConfig`]);
    for (const feature of ['patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag'])
      expect(config[feature].supported, feature).to.be.a('boolean');
    expect(config).to.deep.include({
      patch: { supported: true },
      etag: { supported: true },
      sort: { supported: true },
    });
    expect(config.bulk).to.include({
      supported: true,
      maxOperations: server.limits.bulkMaxOperations,
      maxPayloadSize: server.limits.maxBodyBytes,
    });
    expect(config.filter).to.include({ supported: true, maxResults: server.limits.maxPageSize });
    expect(config.authenticationSchemes).to.be.an('array').that.is.not.empty;
    expect(config.authenticationSchemes[0]).to.include({ type: 'oauthbearertoken' });
    expect(config.meta.location).to.equal(`${dir.baseUrl}/ServiceProviderConfig`);
  });

  it('lists the User and Group resource types with their endpoints and the enterprise extension', async function () {
    const res = await call(dir, 'GET', '/ResourceTypes');
    expect(res.status).to.equal(200);
    expect(res.body.schemas).to.deep.equal([LIST_SCHEMA]);
    expect(res.body.totalResults).to.equal(res.body.Resources.length);
    type ResourceTypeView = {
      name: string;
      endpoint: string;
      schema: string;
      schemas: string[];
      schemaExtensions: unknown[];
    };
    const byName = new Map<string, ResourceTypeView>(res.body.Resources.map((rt: ResourceTypeView) => [rt.name, rt]));
    expect(byName.get('User')).to.include({ endpoint: '/Users', schema: USER_SCHEMA });
    expect(byName.get('Group')).to.include({ endpoint: '/Groups', schema: GROUP_SCHEMA });
    expect(byName.get('User')!.schemaExtensions).to.deep.include({ schema: ENTERPRISE_SCHEMA, required: false });
    expect(byName.get('User')!.schemas).to.deep.equal([`${CORE}:ResourceType`]);
  });

  it('answers a single resource type by id and 404 for an unknown one', async function () {
    const user = await call(dir, 'GET', '/ResourceTypes/User');
    expect(user.status).to.equal(200);
    expect(user.body).to.include({ id: 'User', endpoint: '/Users' });
    const missing = await call(dir, 'GET', '/ResourceTypes/Printer');
    expect(missing.status).to.equal(404);
    expect(missing.body.schemas).to.deep.equal([ERROR_SCHEMA]);
  });

  it('lists the User, Group and enterprise User schemas with their attribute definitions', async function () {
    const res = await call(dir, 'GET', '/Schemas');
    expect(res.status).to.equal(200);
    expect(res.body.schemas).to.deep.equal([LIST_SCHEMA]);
    const ids = res.body.Resources.map((s: { id: string }) => s.id);
    expect(ids).to.include.members([USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA]);
    for (const schema of res.body.Resources) {
      expect(schema.schemas, schema.id).to.deep.equal([`${CORE}:Schema`]);
      expect(schema.attributes, schema.id).to.be.an('array').that.is.not.empty;
    }
  });

  it('answers one schema by its URN, with the RFC 7643 characteristics of its attributes', async function () {
    const res = await call(dir, 'GET', `/Schemas/${USER_SCHEMA}`);
    expect(res.status).to.equal(200);
    expect(res.body.id).to.equal(USER_SCHEMA);
    const attr = (name: string) => res.body.attributes.find((a: { name: string }) => a.name === name);
    expect(attr('userName')).to.include({ type: 'string', required: true, caseExact: false, uniqueness: 'server' });
    expect(attr('password')).to.include({ mutability: 'writeOnly', returned: 'never' });
    expect(attr('groups')).to.include({ mutability: 'readOnly', multiValued: true });
    expect(attr('emails').subAttributes.map((s: { name: string }) => s.name)).to.include.members([
      'value',
      'type',
      'primary',
    ]);
    expect(res.body.meta.location).to.equal(`${dir.baseUrl}/Schemas/${USER_SCHEMA}`);
  });

  it('answers 404 for an unknown schema URN', async function () {
    const res = await call(dir, 'GET', '/Schemas/urn:example:nothing');
    expect(res.status).to.equal(404);
    expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
  });

  it('answers /Me with 501 Not Implemented for every method', async function () {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const res = await call(dir, method, '/Me');
      expect(res.status, method).to.equal(501);
      expect(res.body.schemas).to.deep.equal([ERROR_SCHEMA]);
    }
  });
});
