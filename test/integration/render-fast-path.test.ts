// test/integration/render-fast-path.test.ts: the spliced JSON renderer and the exact-index listing answer exactly
// what the general path (parse, project, evaluate, stringify) answers, over a real SQLite file.
import { expect } from 'chai';
import fc from 'fast-check';
import { directoryContext } from '../../api/directory-context';
import type { DirectoryContext } from '../../api/directory-context';
import { listResources, listResponse, listResponseJson } from '../../api/list-service';
import { renderResource, renderResourceJson } from '../../api/render';
import { ResourceService } from '../../api/resource-service';
import { matchesFilter } from '../../domain/scim/filter/evaluate';
import { parseFilter } from '../../domain/scim/filter/parse';
import type { JsonObject } from '../../domain/scim/json';
import { defaultProjectionKeepsStored } from '../../domain/scim/projection';
import { URN } from '../../domain/scim/schemas/urns';
import type { SqliteStores as Stores } from '../../store';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';
import type { StoredResource } from '../../store/resources';

const ORIGIN = 'http://scim.test';
const CUSTOM = 'urn:example:params:scim:schemas:extension:acme:2.0:User';

const customExtension = (returned: 'default' | 'request' | 'never') => ({
  id: CUSTOM,
  name: 'AcmeUser',
  attributes: [
    { name: 'badge', type: 'string' },
    { name: 'clearance', type: 'string', returned },
  ],
});

const text = fc.string({ minLength: 1, maxLength: 12 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** IdP-shaped user bodies, including the odd parts normalisation must clean (empty values, ids, passwords). */
const userBody = (n: number) =>
  fc
    .record({
      name: maybe(fc.record({ givenName: maybe(text), familyName: maybe(text), formatted: maybe(fc.constant('')) })),
      displayName: maybe(text),
      active: maybe(fc.oneof(fc.boolean(), fc.constantFrom('True', 'false'))),
      emails: maybe(
        fc.array(
          fc.record({ value: text, type: maybe(fc.constantFrom('work', 'home')), primary: maybe(fc.boolean()) }),
          {
            maxLength: 3,
          },
        ),
      ),
      enterprise: maybe(fc.record({ department: maybe(text), costCenter: maybe(text) })),
      custom: maybe(fc.record({ badge: maybe(text), clearance: maybe(text) })),
      password: maybe(text),
      id: maybe(text),
      userNameCase: fc.constantFrom('lower', 'upper', 'mixed'),
    })
    .map((r) => {
      const base = `Ünïcode.User${n}@Example.com`;
      const userName = { lower: base.toLowerCase(), upper: base.toUpperCase(), mixed: base }[r.userNameCase];
      const body: Record<string, unknown> = { schemas: [URN.User], userName };
      for (const key of ['name', 'displayName', 'active', 'emails', 'password', 'id'] as const)
        if (r[key] !== undefined) body[key] = r[key];
      if (r.enterprise) body[URN.EnterpriseUser] = r.enterprise;
      if (r.custom) body[CUSTOM] = r.custom;
      return body;
    });

describe('JSON fast paths answer what the general renderer answers', function () {
  let dir: string;
  let stores: Stores;
  let service: ResourceService;

  before(async function () {
    ({ dir, stores } = await openTempStores('scimflow-render-'));
    service = new ResourceService(stores, () => undefined);
  });

  after(function () {
    removeTempStores({ dir, stores });
  });

  const newDirectory = async (returned: 'default' | 'request' | 'never'): Promise<DirectoryContext> => {
    const { directory } = await stores.directories.create({
      name: `render-${returned}-${Math.random()}`,
      dialect: 'generic',
      config: { userExtensions: [customExtension(returned)] },
    });
    return directoryContext(directory, ORIGIN);
  };

  const bothRenderings = async (dctx: DirectoryContext, resource: StoredResource) => {
    const fast = await renderResourceJson(stores, dctx, resource);
    const general = JSON.stringify(await renderResource(stores, dctx.registry, dctx.baseUrl, resource));
    return { fast, general };
  };

  for (const returned of ['default', 'request', 'never'] as const) {
    it(`renders created, replaced and patched users and their groups identically (custom attribute returned: ${returned})`, async function () {
      const dctx = await newDirectory(returned);
      expect(defaultProjectionKeepsStored({ registry: dctx.registry, resourceType: 'User' })).to.equal(
        returned === 'default',
      );
      const group = await service.create(dctx, 'Group', {
        schemas: [URN.Group],
        displayName: 'Everyone "quoted" \u2028',
      });
      let n = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), async (seed) => {
          n += 1;
          const body = fc.sample(userBody(n), { numRuns: 1, seed })[0]!;
          const created = (await service.create(dctx, 'User', body)).resource;
          if (n % 2 === 0)
            await service.patch(dctx, 'Group', group.resource.id, {
              schemas: [URN.PatchOp],
              Operations: [{ op: 'add', path: 'members', value: [{ value: created.id }] }],
            });
          const replaced = (await service.replace(dctx, 'User', created.id, { ...body, displayName: `r${n}` }))
            .resource;
          const patched = (
            await service.patch(dctx, 'User', created.id, {
              schemas: [URN.PatchOp],
              Operations: [
                { op: 'Remove', path: 'name.givenName' },
                { op: 'add', value: { title: `t${n}` } },
              ],
            })
          ).resource;
          for (const resource of [created, replaced, patched, await service.get(dctx, 'User', created.id)]) {
            const { fast, general } = await bothRenderings(dctx, resource);
            expect(fast).to.equal(general);
            expect(JSON.parse(fast)).to.not.have.property('password');
            if (returned !== 'default') expect(JSON.parse(fast)[CUSTOM] ?? {}).to.not.have.property('clearance');
          }
        }),
        { numRuns: 60 },
      );
      const { fast, general } = await bothRenderings(dctx, await service.get(dctx, 'Group', group.resource.id));
      expect(fast).to.equal(general);
      expect((JSON.parse(fast) as { members: unknown[] }).members).to.have.length(30);
    });
  }

  it('stops splicing for a directory whose extension schemas were narrowed, so dropped attributes stay hidden', async function () {
    const created = await stores.directories.create({
      name: `render-narrowed-${Math.random()}`,
      dialect: 'generic',
      config: { userExtensions: [customExtension('default')] },
    });
    const before = directoryContext(created.directory, ORIGIN);
    const { resource } = await service.create(before, 'User', {
      schemas: [URN.User, CUSTOM],
      userName: 'narrowed@x.example',
      [CUSTOM]: { badge: 'B-7', clearance: 'top' },
    });
    expect(JSON.parse(await renderResourceJson(stores, before, resource))[CUSTOM]).to.deep.equal({
      badge: 'B-7',
      clearance: 'top',
    });
    // What `scimflow directory set-extensions` stores when an attribute is dropped (see cli/directory-commands.ts).
    const narrowed = { ...customExtension('default'), attributes: [{ name: 'badge', type: 'string' }] };
    await stores.directories.updateConfig(created.directory.id, {
      userExtensions: [narrowed],
      schemaNarrowedAt: new Date().toISOString(),
    });
    const after = directoryContext((await stores.directories.get(created.directory.id))!, ORIGIN);
    expect(after.storedUnderCurrentSchemas).to.equal(false);
    const stored = await service.get(after, 'User', resource.id);
    const { fast, general } = await bothRenderings(after, stored);
    expect(fast).to.equal(general);
    expect(JSON.parse(fast)[CUSTOM]).to.deep.equal({ badge: 'B-7' });
  });

  it('renders an empty group with its empty member list, like the general renderer', async function () {
    const dctx = await newDirectory('default');
    const { resource } = await service.create(dctx, 'Group', { schemas: [URN.Group], displayName: 'Nobody' });
    const { fast, general } = await bothRenderings(dctx, resource);
    expect(fast).to.equal(general);
    expect(JSON.parse(fast)).to.include({ displayName: 'Nobody' }).and.to.have.deep.property('members', []);
  });

  it('builds list responses byte for byte like JSON.stringify of the list object', function () {
    const docs: JsonObject[] = [{ a: 1 }, { b: 'x"y' }];
    for (const resources of [[], docs.slice(0, 1), docs])
      expect(
        listResponseJson(
          resources.map((r) => JSON.stringify(r)),
          7,
          3,
        ),
      ).to.equal(JSON.stringify(listResponse(resources, 7, 3)));
  });

  it('answers an exact indexed equality exactly as evaluating the filter over every resource does', async function () {
    const dctx = await newDirectory('default');
    const names = ['Mixed.Case@x.example', 'İstanbul@x.example', 'straße@x.example', 'plain@x.example'];
    const all: StoredResource[] = [];
    for (const [i, userName] of names.entries())
      all.push(
        (
          await service.create(dctx, 'User', {
            schemas: [URN.User],
            userName,
            externalId: `Ext-${i}`,
            displayName: `Person ${i % 2}`,
          })
        ).resource,
      );
    const filters = [
      ...names.flatMap((name) => [name, name.toLowerCase(), name.toUpperCase()].map((v) => `userName eq "${v}"`)),
      'externalId eq "Ext-1"',
      'externalId eq "ext-1"',
      'displayName eq "PERSON 1"',
      `id eq "${all[2]!.id}"`,
      `id eq "${all[2]!.id.toUpperCase()}"`,
    ];
    const ctx = { registry: dctx.registry, resourceType: 'User' as const };
    for (const filter of filters) {
      const parsed = parseFilter(filter);
      const expected = all
        .filter((r) => matchesFilter({ ...(r.doc as JsonObject), id: r.id }, parsed, ctx))
        .map((r) => r.id)
        .sort();
      const listed = JSON.parse(await listResources(stores, dctx, 'User', { filter }, 100)) as {
        Resources: { id: string }[];
      };
      expect(listed.Resources.map((r) => r.id).sort(), filter).to.deep.equal(expected);
    }
  });
});
