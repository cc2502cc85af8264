// bench/hostile-input.ts: `npm run bench:hostile`: what maximum-size hostile bodies cost the API (issue 12): the
// longest event-loop stall and a light request's latency while 8 clients send them, and memory after 10,000 of them.
// Prints a table and saves JSON (bench/results/hostile-<time>.json).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ApiServer as Server } from './api-server';
import { startApiServer } from './api-server';
import { percentile, round } from './lifecycle-driver';

const MIB = 1_048_576;
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** Bodies just under 1 MiB, each the worst case of one issue-12 finding. */
function bodies(n: number) {
  const emails: { value: string; type: string }[] = [];
  for (let i = 0; JSON.stringify(emails).length < MIB - 2_000; i++)
    emails.push({ value: `e${i % 10_000}-${i}@hostile.test`, type: 'work' });
  return {
    /** 20,000 distinct emails: the duplicate check (quadratic before: 20 s of event loop). */
    emails: {
      method: 'PUT',
      path: (u: string) => `/Users/${u}`,
      body: JSON.stringify({ schemas: [USER], userName: `big${n}@hostile.test`, emails }),
    },
    /** A body key of 1 MiB (cached per registry before: 746 MB after 400 requests). */
    longKey: {
      method: 'POST',
      path: (_user: string) => '/Users',
      body: JSON.stringify({ schemas: [USER], ['k'.repeat(MIB - 200)]: 1 }),
    },
    /** A .search projection list of 1 MiB (cached per registry before). */
    longProjection: {
      method: 'POST',
      path: (_user: string) => '/.search',
      body: JSON.stringify({ schemas: [SEARCH], attributes: [`a${n}`.repeat(MIB / 4)], count: 1 }),
    },
    /** 500,000 nested arrays (a stack overflow and a 500 before). */
    deep: {
      method: 'POST',
      path: (_user: string) => '/.search',
      body: `{"attributes":${'['.repeat(MIB / 2 - 100)}${']'.repeat(MIB / 2 - 100)}}`,
    },
  };
}

async function send(server: Server, method: string, p: string, body?: string, token = server.token): Promise<number> {
  const res = await fetch(`${server.origin}/scim/v2/${server.directoryId}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    ...(body === undefined ? {} : { body }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function stats(server: Server, query = '') {
  const res = await fetch(`${server.origin}/__bench/stats${query}`);
  return (await res.json()) as { loopMaxMs: number; loopP99Ms: number; rssMiB: number; heapUsedMiB: number };
}

/** Runs `clients` loops of `request` for `seconds` while a probe times a light request every 20 ms. */
async function underLoad(
  server: Server,
  seconds: number,
  clients: number,
  request: (client: number) => Promise<number>,
) {
  await stats(server, '?reset=1');
  const deadline = Date.now() + seconds * 1000;
  const probes: number[] = [];
  const statuses: Record<string, number> = {};
  const probe = (async () => {
    while (Date.now() < deadline) {
      const t = performance.now();
      await send(server, 'GET', '/ServiceProviderConfig');
      probes.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (Date.now() < deadline) {
        const status = await request(c);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  await probe;
  const loop = await stats(server);
  return {
    requests: Object.values(statuses).reduce((a, b) => a + b, 0),
    statuses,
    loopMaxMs: round(loop.loopMaxMs, 1),
    probeP50Ms: round(percentile(probes, 50), 1),
    probeP99Ms: round(percentile(probes, 99), 1),
    probeMaxMs: round(Math.max(...probes), 1),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '10' }, requests: { type: 'string', default: '10000' } },
  });
  const seconds = Number(values.seconds);
  const total = Number(values.requests);
  const server = await startApiServer();
  try {
    const perClient = Array.from({ length: 8 }, (_, c) => bodies(c));
    // Eight users to PUT the big bodies to, and a page of them to list (the byte budget).
    const users: string[] = [];
    for (let c = 0; c < 8; c++) {
      const res = await fetch(`${server.origin}/scim/v2/${server.directoryId}/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: [USER], userName: `big${c}@hostile.test` }),
      });
      users.push(((await res.json()) as { id: string }).id);
    }
    const rows: Record<string, unknown>[] = [];
    const kinds = ['emails', 'longKey', 'longProjection', 'deep'] as const;
    for (const kind of kinds) {
      const result = await underLoad(server, seconds, 8, (c) => {
        const b = perClient[c]![kind];
        return send(server, b.method, b.path(users[c]!), b.body);
      });
      rows.push({ load: `8 clients: ${kind} (1 MiB bodies)`, ...result });
    }
    // Listing users of 1 MB each (after the emails phase): pages within their byte budget.
    rows.push({
      load: '8 clients: GET /Users of 1 MB users',
      ...(await underLoad(server, seconds, 8, () => send(server, 'GET', '/Users?count=100'))),
    });
    // Anonymous clients with 8 KB tokens (the token cache).
    const junkToken = (i: number) => `${i}-${'t'.repeat(8_000)}`;
    let n = 0;
    rows.push({
      load: '8 clients: 8 KB unknown tokens',
      ...(await underLoad(server, seconds, 8, () => send(server, 'GET', '/Users', undefined, junkToken(n++)))),
    });

    const before = await stats(server, '?gc=1');
    let sent = 0;
    const mixed = [...kinds.filter((k) => k !== 'emails')];
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        while (sent < total) {
          const i = sent++;
          const b = perClient[c]![mixed[i % mixed.length]!];
          await (i % 4 === 3
            ? send(server, 'GET', '/Users', undefined, junkToken(i))
            : send(server, b.method, b.path(users[c]!), b.body));
        }
      }),
    );
    const after = await stats(server, '?gc=1');
    const memory = {
      requests: total,
      rssBeforeMiB: round(before.rssMiB),
      rssAfterMiB: round(after.rssMiB),
      heapBeforeMiB: round(before.heapUsedMiB),
      heapAfterMiB: round(after.heapUsedMiB),
    };
    console.table(rows);
    console.table([memory]);
    const out = { at: new Date().toISOString(), seconds, rows, memory };
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `hostile-${out.at.replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, 'latest-hostile.json'), `${JSON.stringify(out, null, 2)}\n`);
    console.log(`saved ${file}`);
  } finally {
    server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
