// test/integration/store-postgres-api.test.ts: two `scimflow api` processes (two hosts, as far as they can tell)
// writing to one PostgreSQL: gapless per-directory sequences and userName uniqueness under concurrent duplicates;
// an unreachable DATABASE_URL stops a start within seconds, naming the variable without its password.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { findFreePort } from '../../runtime/ports';
import { runCli, runCliJson, startCli } from '../helpers/cli';
import { sendRaw } from '../helpers/raw-http';
import type { RawResponse } from '../helpers/raw-http';
import { createTestDatabase, TEST_SECRET_KEYS } from '../helpers/store-kinds';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('the store on PostgreSQL: two API processes writing to one database (issue 14)', function () {
  this.timeout(180_000);
  let dataDir: string;
  let env: Record<string, string>;
  const apis: { child: ChildProcess; output: () => string; origin: URL }[] = [];
  let dir: { id: string; token: string; scimBaseUrl: string };

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-pg-api-'));
    env = {
      DATA_DIR: dataDir,
      DATABASE_URL: await createTestDatabase(),
      SCIMFLOW_SECRET_KEYS: TEST_SECRET_KEYS,
      // Nothing listens there: pokes fail and stay in the log for the relay; no other test's worker sees them.
      TEMPORAL_ADDRESS: `127.0.0.1:${await findFreePort()}`,
    };
    dir = await runCliJson(['directory', 'create', '--name', 'pg', '--idp', 'generic'], env);
    for (let i = 0; i < 2; i++) {
      const port = await findFreePort();
      const api = await startCli(['api'], { ...env, PORT: String(port) }, 'API listening');
      apis.push({ ...api, origin: new URL(`http://127.0.0.1:${port}`) });
    }
  });

  after(async function () {
    for (const api of apis)
      if (api.child.exitCode === null) {
        const exited = new Promise((resolve) => api.child.once('exit', resolve));
        api.child.kill('SIGTERM');
        await exited;
      }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (i: number, method: string, suffix: string, body?: unknown): Promise<RawResponse> => {
    const url = new URL(`${dir.scimBaseUrl}${suffix}`);
    return sendRaw(apis[i % 2]!.origin, {
      method,
      path: url.pathname + url.search,
      headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  };
  const events = () =>
    runCliJson<{ seq: number; kind: string }[]>(['events', 'list', '--directory', dir.id, '--limit', '10000'], env);

  it('says in its start line that the store is PostgreSQL, without the password', function () {
    for (const api of apis) expect(api.output()).to.match(/store: PostgreSQL postgres:\/\/postgres@127\.0\.0\.1:\d+\//);
  });

  it('takes concurrent duplicate POSTs through both processes: one 201 per userName, 409 uniqueness for the rest', async function () {
    // 40 names, each posted four times (two per process, in different letter cases), all at once.
    const posts = Array.from({ length: 40 }, (_, n) =>
      [0, 1, 2, 3].map((k) => ({ k, userName: k % 2 === 0 ? `dup${n}@pg.test` : `DUP${n}@PG.test` })),
    ).flat();
    const answers = await Promise.all(
      posts.map(({ k, userName }) => call(k, 'POST', '/Users', { schemas: [USER], userName })),
    );
    const byName = new Map<string, number[]>();
    answers.forEach((a, i) => {
      const name = posts[i]!.userName.toLowerCase();
      byName.set(name, [...(byName.get(name) ?? []), a.status]);
    });
    expect(byName.size).to.equal(40);
    for (const [name, statuses] of byName)
      expect([...statuses].sort(), `${name}: ${apis.map((a) => a.output()).join('\n')}`).to.deep.equal([
        201, 409, 409, 409,
      ]);
    for (const a of answers.filter((x) => x.status === 409))
      expect((a.json as { scimType: string }).scimType).to.equal('uniqueness');
    const listed = await call(0, 'GET', '/Users?count=1');
    expect((listed.json as { totalResults: number }).totalResults).to.equal(40);
  });

  it('numbers every change of the directory without a gap or a repeat, whichever process wrote it', async function () {
    const created = await call(0, 'POST', '/Groups', { schemas: [GROUP], displayName: 'both' });
    expect(created.status).to.equal(201);
    const groupId = (created.json as { id: string }).id;
    const users = ((await call(1, 'GET', '/Users?count=40')).json as { Resources: { id: string }[] }).Resources.map(
      (u) => u.id,
    );
    // Membership PATCHes on one group and renames of users, spread over both processes at once.
    const writes = await Promise.all([
      ...users.map((id, i) =>
        call(i, 'PATCH', `/Groups/${groupId}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }],
        }),
      ),
      ...users.map((id, i) =>
        call(i + 1, 'PATCH', `/Users/${id}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'displayName', value: `renamed ${i}` }],
        }),
      ),
    ]);
    // 204 for a group PATCH (RFC 7644 §3.5.2: no body unless asked), 200 with the user for a user PATCH.
    expect(writes.map((w) => w.status)).to.deep.equal([...new Array(40).fill(204), ...new Array(40).fill(200)]);
    const log = await events();
    expect(log.map((e) => e.seq)).to.deep.equal(Array.from({ length: log.length }, (_, i) => i + 1));
    // Each membership PATCH is a group.updated and a membership event; each rename a user updated event.
    const kinds: Record<string, number> = {};
    for (const e of log) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
    expect(kinds).to.deep.equal({ created: 40, 'group.created': 1, 'group.updated': 40, membership: 40, updated: 40 });
    const members = (await call(0, 'GET', `/Groups/${groupId}`)).json as { members: unknown[] };
    expect(members.members).to.have.length(40);
  });
});

describe('DATABASE_URL that does not answer (issue 14)', function () {
  this.timeout(60_000);

  it('stops a command within seconds, naming the variable and hiding the password', async function () {
    const port = await findFreePort(); // nothing listens
    const started = Date.now();
    const result = await runCli(['directory', 'list'], {
      DATABASE_URL: `postgres://scim:hunter2@127.0.0.1:${port}/scimflow`,
    });
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.include(`DATABASE_URL=postgres://scim:redacted@127.0.0.1:${port}/scimflow`);
    expect(result.stderr).to.not.include('hunter2');
    expect(Date.now() - started).to.be.lessThan(15_000);
  });

  it('stops within the 10 s connect timeout when the server accepts connections but never answers', async function () {
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = blackhole.address() as net.AddressInfo;
      const started = Date.now();
      const result = await runCli(['directory', 'list'], {
        DATABASE_URL: `postgresql://scim:hunter2@127.0.0.1:${port}/scimflow`,
      });
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include(`DATABASE_URL=postgresql://scim:redacted@127.0.0.1:${port}/scimflow`);
      expect(result.stderr).to.not.include('hunter2');
      expect(Date.now() - started).to.be.lessThan(25_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    }
  });
});
