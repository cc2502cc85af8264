// test/integration/events-api.test.ts: the events API over real HTTP: ordered pages with state, filters, long polls,
// a cursor past retention (410), a snapshot to start from, and the example consumer kept in sync across restarts.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Stack } from '../helpers/stack';
import { scim, startStack } from '../helpers/stack';
import { ADMIN_TOKEN, PATCH_URN, USER_URN } from '../helpers/leaver-world';

const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const REPO = path.resolve(__dirname, '../..');
const run = promisify(execFile);

describe('events API (issue 15)', function () {
  let stack: Stack;
  let dir: { id: string; token: string };

  before(async function () {
    // No worker: the log is what is read here; events are marked delivered by hand where retention needs it.
    stack = await startStack({ worker: false, relay: false });
  });
  beforeEach(async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'events', dialect: 'generic' });
    dir = { id: directory.id, token };
  });
  after(async function () {
    await stack?.stop();
  });

  const admin = async (pathname: string, token = ADMIN_TOKEN) => {
    const res = await fetch(`${stack.baseUrl}/admin/directories/${dir.id}${pathname}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const createUser = async (userName: string) => {
    const res = await scim(stack.baseUrl, dir.token, 'POST', `/scim/v2/${dir.id}/Users`, {
      schemas: [USER_URN],
      userName,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.id as string;
  };
  const patchUser = async (id: string, path: string, value: unknown) => {
    const body = { schemas: [PATCH_URN], Operations: [{ op: 'replace', path, value }] };
    const res = await scim(stack.baseUrl, dir.token, 'PATCH', `/scim/v2/${dir.id}/Users/${id}`, body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
  };
  const createGroup = async (displayName: string, members: string[]) => {
    const res = await scim(stack.baseUrl, dir.token, 'POST', `/scim/v2/${dir.id}/Groups`, {
      schemas: [GROUP_URN],
      displayName,
      members: members.map((value) => ({ value })),
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.id as string;
  };
  const deleteUser = async (id: string) => {
    const res = await scim(stack.baseUrl, dir.token, 'DELETE', `/scim/v2/${dir.id}/Users/${id}`);
    expect(res.status).to.equal(204);
  };
  /** Every event after `after`, page by page (`limit` each), as the API gives them. */
  const readAll = async (query: string, after = '0', limit = 3) => {
    const events: any[] = [];
    let cursor = after;
    for (;;) {
      const page = await admin(`/events?after=${cursor}&limit=${limit}${query}`);
      expect(page.status, JSON.stringify(page.body)).to.equal(200);
      events.push(...page.body.events);
      cursor = page.body.cursor;
      if (!page.body.hasMore) return { events, cursor };
    }
  };
  /** The directory's users as SCIM lists them, reduced to what the example consumer keeps. */
  const directoryTable = async () => {
    const res = await scim(stack.baseUrl, dir.token, 'GET', `/scim/v2/${dir.id}/Users?count=1000`);
    return Object.fromEntries(
      (res.body.Resources as any[]).map((u) => [
        u.id,
        {
          userName: u.userName,
          displayName: u.displayName ?? null,
          active: u.active !== false,
          groups: ((u.groups ?? []) as any[]).map((g) => g.display ?? g.value).sort(),
        },
      ]),
    );
  };

  it('pages the log in order, gapless, each event with its resource as SCIM shows it (null once deleted)', async function () {
    const ada = await createUser('ada@acme.test');
    const bob = await createUser('bob@acme.test');
    await patchUser(ada, 'displayName', 'Ada Lovelace');
    const ops = await createGroup('ops', [ada]);
    await deleteUser(bob);

    const { events, cursor } = await readAll('');
    expect(events.map((e) => e.seq)).to.deep.equal(events.map((_, i) => i + 1)); // gapless, from the start
    expect(cursor).to.equal(String(events.length));
    expect(new Set(events.map((e) => e.id)).size).to.equal(events.length);
    const types = events.map((e) => `${e.type} ${e.resourceId === ada ? 'ada' : e.resourceId === bob ? 'bob' : 'ops'}`);
    expect(types).to.include.ordered.members(['user.created ada', 'user.created bob', 'user.updated ada']);
    expect(types).to.include.members(['group.created ops', 'user.membership ada', 'user.deleted bob']);
    for (const e of events.filter((e) => e.resourceId === ada)) {
      expect(e.state).to.include({ id: ada, userName: 'ada@acme.test', displayName: 'Ada Lovelace' });
      expect(e.state.groups.map((g: any) => g.display)).to.deep.equal(['ops']);
      expect(e.state.meta.location).to.equal(`${stack.baseUrl}/scim/v2/${dir.id}/Users/${ada}`);
    }
    expect(events.filter((e) => e.resourceId === bob).every((e) => e.state === null)).to.equal(true);
    const group = events.find((e) => e.type === 'group.created');
    expect(group.state).to.include({ id: ops, displayName: 'ops' });
    expect(group.state).to.not.have.property('members'); // members come as user.membership events
    expect(events.every((e) => typeof e.requestId === 'string' && !Number.isNaN(Date.parse(e.time)))).to.equal(true);

    // The cursor resumes exactly after what was read: nothing again, then only what is new.
    expect((await admin(`/events?after=${cursor}`)).body).to.deep.equal({ events: [], cursor, hasMore: false });
    await patchUser(ada, 'active', false);
    const next = await admin(`/events?after=${cursor}`);
    expect(next.body.events.map((e: any) => [e.seq, e.type])).to.deep.equal([[Number(cursor) + 1, 'user.deactivated']]);
    expect(next.body.events[0].state.active).to.equal(false);
  });

  it('filters by identity and by type (a family with .*); the cursor still moves past what it skipped', async function () {
    const ada = await createUser('ada@acme.test');
    const bob = await createUser('bob@acme.test');
    await patchUser(bob, 'displayName', 'Bob');
    await createGroup('ops', [ada, bob]);
    await deleteUser(ada);
    const latest = await stack.stores.events.latestSeq(dir.id);

    const bobs = await readAll(`&identity=${bob}`);
    expect(bobs.events.map((e) => e.type)).to.deep.equal(['user.created', 'user.updated', 'user.membership']);
    expect(bobs.cursor).to.equal(String(latest));
    const deletions = await readAll('&type=user.deleted');
    expect(deletions.events.map((e) => e.resourceId)).to.deep.equal([ada]);
    expect(deletions.cursor).to.equal(String(latest));
    expect((await readAll('&type=group.*')).events.map((e) => e.type)).to.deep.equal(['group.created']);
    const two = await readAll('&type=user.created,user.deleted', '0', 1);
    expect(two.events.map((e) => e.type)).to.deep.equal(['user.created', 'user.created', 'user.deleted']);
  });

  it('refuses bad queries with a SCIM error (400 invalidValue, 401, 404), never a 500', async function () {
    await createUser('ada@acme.test');
    for (const query of ['after=-1', 'after=abc', 'limit=0', 'limit=1001', 'wait=31', 'type=user.nope', 'after=99']) {
      const res = await admin(`/events?${query}`);
      expect(res.status, query).to.equal(400);
      expect(res.body, query).to.include({ scimType: 'invalidValue' });
      expect(res.body.schemas, query).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:Error']);
    }
    expect((await admin('/snapshot?type=Robot')).status).to.equal(400);
    expect((await admin('/events', 'wrong-token')).status).to.equal(401);
    const unknown = await fetch(`${stack.baseUrl}/admin/directories/nope/events`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(unknown.status).to.equal(404);
  });

  it('holds an empty page open until a change arrives (long poll), or answers empty when the wait is over', async function () {
    await createUser('ada@acme.test');
    const cursor = String(await stack.stores.events.latestSeq(dir.id));
    const empty = await admin(`/events?after=${cursor}&wait=1`);
    expect(empty.body).to.deep.equal({ events: [], cursor, hasMore: false });

    const waiting = admin(`/events?after=${cursor}&wait=20`);
    let answered = false;
    void waiting.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 500));
    expect(answered, 'the poll waits while nothing happens').to.equal(false);
    const bob = await createUser('bob@acme.test');
    const page = await waiting;
    expect(page.body.events.map((e: any) => [e.type, e.resourceId])).to.deep.equal([['user.created', bob]]);

    // A write another process commits (no wake-up here, as the CLI's resync would): the poll sees it by polling.
    const polling = admin(`/events?after=${page.body.cursor}&wait=20`);
    await new Promise((r) => setTimeout(r, 300));
    const at = new Date().toISOString();
    const kind = 'resync' as const;
    await stack.stores.atomically(() =>
      stack.stores.events.append(dir.id, [{ identityId: bob, resourceType: 'User', kind }], at),
    );
    expect((await polling).body.events.map((e: any) => [e.type, e.resourceId])).to.deep.equal([['user.resync', bob]]);
  });

  it('answers 410 for a cursor older than the retained log; what is kept stays gapless', async function () {
    const now = () => new Date().toISOString();
    const ada = await createUser('ada@acme.test'); // seq 1
    const bob = await createUser('bob@acme.test'); // 2
    await patchUser(ada, 'displayName', 'Ada'); // 3
    await patchUser(ada, 'displayName', 'Ada L.'); // 4
    const undelivered = await createUser('cy@acme.test'); // 5, never delivered
    await patchUser(bob, 'displayName', 'Bob'); // 6, delivered: kept all the same, it is after 5
    await stack.stores.events.markDelivered(dir.id, ada, 4, now()); // as the identities' workflows mark them
    await stack.stores.events.markDelivered(dir.id, bob, 6, now());
    // Everything before the oldest undelivered event goes; event 5 (undelivered) and after stay.
    await stack.stores.events.prune(new Date(Date.now() + 60_000).toISOString());

    const gone = await admin('/events?after=0');
    expect(gone.status).to.equal(410);
    expect(gone.body.detail).to.match(/older than the retained log \(oldest kept event: 5\).*snapshot/);
    expect((await admin('/events?after=3')).status).to.equal(410);
    const kept = await admin('/events?after=4');
    expect(kept.status).to.equal(200);
    expect(kept.body.events.map((e: any) => [e.seq, e.resourceId])).to.deep.equal([
      [5, undelivered],
      [6, bob],
    ]);
  });

  it('gives a snapshot to start from: snapshot pages, then the events after its cursor, rebuild the directory', async function () {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await createUser(`user${i}@acme.test`));
    await createGroup('eng', ids.slice(0, 2));

    const table: Record<string, any> = {};
    const first = await admin('/snapshot?type=User&count=2');
    expect(first.body).to.include({ resourceType: 'User', totalResults: 5, startIndex: 1 });
    const cursor = first.body.cursor as string;
    for (const u of first.body.Resources) table[u.id] = u;
    // Changes while the consumer pages through: they come again as events after the first page's cursor.
    await deleteUser(ids[4]!);
    await patchUser(ids[0]!, 'displayName', 'Zero');
    const sixth = await createUser('user5@acme.test');
    for (let startIndex = 3; ;) {
      const page = await admin(`/snapshot?type=User&count=2&startIndex=${startIndex}`);
      for (const u of page.body.Resources) table[u.id] = u;
      startIndex += page.body.Resources.length;
      if (page.body.Resources.length === 0 || startIndex > page.body.totalResults) break;
    }
    for (const e of (await readAll('&type=user.*', cursor)).events) {
      if (e.state === null) delete table[e.resourceId];
      else table[e.resourceId] = e.state;
    }
    const users = await scim(stack.baseUrl, dir.token, 'GET', `/scim/v2/${dir.id}/Users?count=100`);
    expect(Object.keys(table).sort()).to.deep.equal((users.body.Resources as any[]).map((u) => u.id).sort());
    expect(table).to.have.property(sixth);
    expect(table[ids[0]!]).to.include({ displayName: 'Zero' });
    const groups = await admin('/snapshot?type=Group');
    expect(groups.body.Resources.map((g: any) => [g.displayName, g.members.length])).to.deep.equal([['eng', 2]]);
  });

  it('keeps the example consumer in sync across restarts, never applying an event twice, and after a 410', async function () {
    this.timeout(60_000);
    const stateFile = path.join(stack.dataDir, `consumer-${dir.id}.json`);
    const consume = async () => {
      const { stdout } = await run(
        process.execPath,
        [path.join(REPO, 'examples/events-consumer.mjs'), '--once', '--verbose'],
        {
          env: {
            ...process.env,
            SCIMFLOW_URL: stack.baseUrl,
            ADMIN_TOKEN,
            DIRECTORY_ID: dir.id,
            STATE_FILE: stateFile,
          },
        },
      );
      return stdout.split('\n');
    };
    const applied = (lines: string[]) => lines.filter((l) => l.startsWith('applied ')).map((l) => l.split(' ')[1]);
    const table = () => (JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { users: unknown }).users;

    const a = await createUser('a@acme.test');
    const b = await createUser('b@acme.test');
    const firstRun = await consume();
    expect(firstRun[0]).to.match(/^snapshot: 2 users, cursor \d+$/);
    expect(table()).to.deep.equal(await directoryTable());

    await createGroup('ops', [a, b]);
    await patchUser(a, 'active', false);
    await deleteUser(b);
    const c = await createUser('c@acme.test');
    const second = applied(await consume()); // a restart: from the saved cursor
    expect(second.length).to.be.greaterThan(0);
    expect(table()).to.deep.equal(await directoryTable());
    expect(table()).to.have.property(c);
    const third = applied(await consume()); // nothing new: nothing applied again
    expect(third).to.deep.equal([]);
    expect(new Set([...applied(firstRun), ...second]).size).to.equal(applied(firstRun).length + second.length);

    // Retention took events the consumer has not read: it starts again from the snapshot and ends equal.
    await patchUser(a, 'displayName', 'A');
    for (const e of (await readAll('')).events)
      await stack.stores.events.markDelivered(dir.id, e.resourceId, e.seq, new Date().toISOString());
    await stack.stores.events.prune(new Date(Date.now() + 60_000).toISOString());
    const afterGone = await consume();
    expect(afterGone.join('\n')).to.match(/past the retained log: starting again from the snapshot/);
    expect(table()).to.deep.equal(await directoryTable());
  });
});
