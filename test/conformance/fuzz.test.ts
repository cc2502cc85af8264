// test/conformance/fuzz.test.ts: thousands of generated hostile requests (filters, queries, PATCH, Bulk, whole bodies)
// against the API over HTTP: never a 5xx, never an internal error, and nothing recorded by a rejected request.
// FUZZ_SCALE=N multiplies the runs (scripts/fuzz-nightly.sh uses 20).
import { expect } from 'chai';
import fc from 'fast-check';
import { bulkBodyArb, filterArb, listQueryArb, patchBodyArb, resourceBodyArb } from '../helpers/fuzz-arbitraries';
import { call, createGroup, createUser } from '../helpers/conformance-server';
import type { ConformanceServer, TestDirectory } from '../helpers/conformance-server';
import { useConformanceServer } from '../helpers/conformance-fixtures';

const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

describe('fuzzing the SCIM API: never a 5xx, nothing stored on a rejected request (issue 12)', function () {
  this.timeout(600_000);
  let server: ConformanceServer;
  let dir: TestDirectory;
  let userId: string;
  let groupId: string;
  const statuses = new Map<number, number>();

  const suite = useConformanceServer();
  before(async function () {
    server = suite.server;
    dir = await server.newDirectory();
    userId = await createUser(dir, 'subject@fuzz.test', {
      name: { givenName: 'Sub' },
      emails: [{ value: 's@fuzz.test', type: 'work' }],
    });
    const other = await createUser(dir, 'other@fuzz.test');
    groupId = await createGroup(dir, 'fuzzers', [other]);
  });
  after(function () {
    // What the runs exercised, for the log (and a check that they were not all refused at the door).
    process.stdout.write(`      statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`);
  });

  /** Sends one request; fails on a 5xx or an internal error; a 4xx must leave the directory's log unchanged. */
  async function send(method: string, path: string, body?: unknown): Promise<number> {
    const before = await server.stores.events.latestSeq(dir.id);
    const res = await call(
      dir,
      method,
      path,
      body === undefined ? {} : { body: body as string | Record<string, unknown> },
    );
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    const errors = server.serverErrors.splice(0).map((e) => e.stack);
    const what = `${method} ${path.slice(0, 200)} ${JSON.stringify(body)?.slice(0, 300) ?? ''} → ${res.status} ${res.text.slice(0, 300)}`;
    expect(errors, what).to.deep.equal([]);
    expect(res.status, what).to.be.below(500);
    // Bulk answers 200 with a status per operation: none of those may be a 5xx either.
    const operations = (res.body as { Operations?: { status?: unknown }[] } | undefined)?.Operations;
    if (Array.isArray(operations))
      for (const op of operations) expect(Number(op.status), `${what} (operation)`).to.be.below(500);
    if (res.status >= 400) {
      expect(await server.stores.events.latestSeq(dir.id), `rejected but recorded: ${what}`).to.equal(before);
      expect(res.body?.schemas, what).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
    return res.status;
  }

  const run = (arb: fc.Arbitrary<unknown>, numRuns: number, check: (value: never) => Promise<unknown>) =>
    fc.assert(
      fc.asyncProperty(arb, async (value) => void (await check(value as never))),
      { numRuns: numRuns * SCALE },
    );

  it('answers filters on both resource types and in .search', async function () {
    await run(filterArb, 600, async (filter: string) => {
      const query = new URLSearchParams({ filter }).toString(); // a lone surrogate cannot travel in a URL: U+FFFD
      await send('GET', `/Users?${query}`);
      await send('GET', `/Groups?${query}`);
      await send('POST', '/.search', { schemas: [SEARCH], filter, count: 5 });
    });
  });

  it('answers list queries with hostile paging, sorting and projections', async function () {
    await run(listQueryArb, 600, async (query: string) => {
      await send('GET', `/Users?${query}`);
      await send('GET', `/Users/${userId}?${query}`);
    });
  });

  it('applies or refuses PATCH on a user and a group', async function () {
    await run(patchBodyArb, 800, async (body: unknown) => {
      await send('PATCH', `/Users/${userId}`, body);
      await send('PATCH', `/Groups/${groupId}`, body);
    });
  });

  it('creates or refuses whole bodies by POST and PUT, and raw text', async function () {
    await run(resourceBodyArb, 600, async (body: unknown) => {
      await send('POST', '/Users', body);
      await send('PUT', `/Users/${userId}`, body);
      await send('POST', '/Groups', body);
    });
    await run(fc.string({ maxLength: 200 }), 200, async (raw: string) => {
      await send('POST', '/Users', raw);
    });
  });

  it('runs or refuses Bulk requests', async function () {
    await run(bulkBodyArb, 300, async (body: unknown) => {
      await send('POST', '/Bulk', body);
    });
  });
});
