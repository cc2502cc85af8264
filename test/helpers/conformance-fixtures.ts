// test/helpers/conformance-fixtures.ts: shared suite setup for conformance files: one server, sample people, a PATCH subject.
import { expect } from 'chai';
import { createUser, ENTERPRISE_SCHEMA, startConformanceServer, USER_SCHEMA } from './conformance-server';
import type { ConformanceServer, TestDirectory } from './conformance-server';

/** Registers mocha hooks for one real server per suite; every test must end with no internal (500) errors. */
export function useConformanceServer(): { readonly server: ConformanceServer } {
  const ctx = {} as { server: ConformanceServer };
  before(async function () {
    ctx.server = await startConformanceServer();
  });
  afterEach(function () {
    expect(
      ctx.server.serverErrors.splice(0).map((e) => e.stack),
      'internal errors',
    ).to.deep.equal([]);
  });
  after(async function () {
    await ctx.server.close();
  });
  return ctx;
}

/** Five users with varied attributes (a password that must never come back, mixed-case userName, enterprise data). */
export async function createSamplePeople(dir: TestDirectory): Promise<string[]> {
  const people: [string, Record<string, unknown>][] = [
    [
      'alice',
      {
        name: { givenName: 'Alice', familyName: 'Zephyr' },
        title: 'Engineer',
        emails: [{ value: 'alice@work.example', type: 'work' }],
      },
    ],
    ['Bob', { name: { givenName: 'Bob', familyName: 'Young' }, title: 'Manager' }],
    [
      'carol',
      {
        name: { familyName: 'Xu' },
        schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
        [ENTERPRISE_SCHEMA]: { department: 'Sales', costCenter: 'C1' },
      },
    ],
    ['dave', { title: 'Engineer', password: 'S3cret-never-returned!' }],
    ['erin', { name: { familyName: 'Abbott' } }],
  ];
  const ids: string[] = [];
  for (const [local, extra] of people) ids.push(await createUser(dir, `${local}@example.test`, extra));
  return ids;
}

/** The user every PATCH test starts from. */
export function createPatchSubject(dir: TestDirectory): Promise<string> {
  return createUser(dir, 'pat@example.test', {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
    active: true,
    title: 'Engineer',
    displayName: 'Pat Doe',
    name: { givenName: 'Pat', middleName: 'Q', familyName: 'Doe' },
    emails: [
      { value: 'pat@work.example', type: 'work', primary: true },
      { value: 'pat@home.example', type: 'home' },
    ],
    [ENTERPRISE_SCHEMA]: { department: 'Sales' },
  });
}
