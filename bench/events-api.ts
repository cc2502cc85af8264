// bench/events-api.ts: `npm run bench:events`: the events API (issue 15) on the API alone (SQLite file, no Temporal):
// how fast a consumer reads a directory's log with resource state, page by page, and how long a long-polling consumer
// waits for an event at idle and during a burst of SCIM writes. Prints a table and saves JSON
// (bench/results/events-api-<time>.json and latest-events-api.json).
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { ApiServer } from './api-server';
import { BENCH_ADMIN_TOKEN, startApiServer } from './api-server';
import type { ScimTarget } from './lifecycle-driver';
import { percentile, round, runBounded, scimCall, sleep, userBody } from './lifecycle-driver';
import { alignColumns, saveNamedResult } from './lifecycle-report';

interface Page {
  events: { seq: number; time: string; state: unknown }[];
  cursor: string;
  hasMore: boolean;
}

interface ReadResult {
  limit: number;
  filter: string;
  events: number;
  pages: number;
  eventsPerSecond: number;
  pageP50Ms: number;
  pageP99Ms: number;
}

interface LagResult {
  scenario: 'idle' | 'burst';
  writes: number;
  writesPerSecond: number;
  received: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

async function events(server: ApiServer, query: string): Promise<Page> {
  const res = await fetch(`${server.origin}/admin/directories/${server.directoryId}/events?${query}`, {
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
  });
  if (res.status !== 200) throw new Error(`events?${query} → ${res.status} ${await res.text()}`);
  return (await res.json()) as Page;
}

/** Reads the whole log from the start, `limit` per page. */
async function readAll(server: ApiServer, limit: number, filter: string): Promise<ReadResult> {
  const pageMs: number[] = [];
  let cursor = '0';
  let count = 0;
  const started = performance.now();
  for (;;) {
    const t = performance.now();
    const page = await events(server, `after=${cursor}&limit=${limit}${filter}`);
    pageMs.push(performance.now() - t);
    count += page.events.length;
    cursor = page.cursor;
    if (!page.hasMore) break;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    limit,
    filter: filter || '(none)',
    events: count,
    pages: pageMs.length,
    eventsPerSecond: round(count / seconds),
    pageP50Ms: round(percentile(pageMs, 50), 1),
    pageP99Ms: round(percentile(pageMs, 99), 1),
  };
}

/**
 * A consumer long-polls from the log's end while `write` runs; each event's lag is when the consumer had it minus the
 * event's recorded time (same host, same clock).
 */
async function measureLag(
  server: ApiServer,
  scenario: LagResult['scenario'],
  write: () => Promise<number>,
): Promise<LagResult> {
  let cursor = (await events(server, 'after=0&limit=1&type=nhi.*')).cursor; // the log's end, nothing read
  const lags: number[] = [];
  let writing = true;
  const consumer = (async () => {
    while (writing || lags.length === 0) {
      const page = await events(server, `after=${cursor}&limit=1000&wait=5`);
      const now = Date.now();
      for (const e of page.events) lags.push(now - Date.parse(e.time));
      cursor = page.cursor;
    }
    // Drain what the last writes left.
    for (;;) {
      const page = await events(server, `after=${cursor}&limit=1000`);
      const now = Date.now();
      for (const e of page.events) lags.push(now - Date.parse(e.time));
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
  })();
  await sleep(200); // the consumer is waiting
  const started = performance.now();
  const writes = await write();
  const seconds = (performance.now() - started) / 1000;
  writing = false;
  await consumer;
  return {
    scenario,
    writes,
    writesPerSecond: round(writes / seconds),
    received: lags.length,
    lagP50Ms: round(percentile(lags, 50), 1),
    lagP99Ms: round(percentile(lags, 99), 1),
    lagMaxMs: round(Math.max(...lags), 1),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '10000' },
      idle: { type: 'string', default: '200' },
      burst: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '32' },
    },
  });
  const int = (name: keyof typeof values) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  const [users, idle, burst, concurrency] = [int('users'), int('idle'), int('burst'), int('concurrency')];
  const startedAt = new Date().toISOString();
  const server = await startApiServer();
  try {
    const target: ScimTarget = { baseUrl: server.origin, directoryId: server.directoryId, token: server.token };
    let next = 0;
    const create = () => scimCall(target, 'POST', '/Users', userBody(next++), 201);
    console.log(`filling the log: ${users} users, then a displayName change for every other one`);
    const ids: string[] = [];
    const failed = (stats: { failures: number; firstFailure?: string | undefined }) => {
      if (stats.failures > 0) throw new Error(`${stats.failures} SCIM writes failed: ${stats.firstFailure}`);
    };
    failed(
      await runBounded(users, concurrency, async () => {
        ids.push((await create()).id as string);
      }),
    );
    const patch = (id: string) =>
      scimCall(
        target,
        'PATCH',
        `/Users/${id}`,
        {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'displayName', value: `Renamed ${id.slice(0, 8)}` }],
        },
        200,
      );
    const toPatch = ids.filter((_, i) => i % 2 === 0);
    failed(
      await runBounded(toPatch.length, concurrency, async (i) => {
        await patch(toPatch[i]!);
      }),
    );

    const reads: ReadResult[] = [];
    for (const [limit, filter] of [
      [100, ''],
      [1000, ''],
      [1000, '&type=user.updated'],
    ] as const) {
      reads.push(await readAll(server, limit, filter));
      console.log(`read the log, limit ${limit} ${filter}: ${reads.at(-1)!.eventsPerSecond} events/s`);
    }
    const lags: LagResult[] = [];
    lags.push(
      await measureLag(server, 'idle', async () => {
        for (let i = 0; i < idle; i++) {
          await create();
          await sleep(50);
        }
        return idle;
      }),
    );
    lags.push(
      await measureLag(server, 'burst', async () => {
        failed(
          await runBounded(burst, concurrency, async () => {
            await create();
          }),
        );
        return burst;
      }),
    );

    const result = {
      bench: 'events-api',
      startedAt,
      machine: { cpus: os.cpus().length, node: process.version },
      setup: { users, patched: toPatch.length, idleWrites: idle, burstWrites: burst, concurrency, directories: 1 },
      reads,
      lags,
    };
    console.log('');
    for (const line of alignColumns([
      ['read (whole log)', 'events', 'pages', 'events/s', 'page p50 ms', 'page p99 ms'],
      ...reads.map((r) => [
        `limit ${r.limit}, filter ${r.filter}`,
        String(r.events),
        String(r.pages),
        String(r.eventsPerSecond),
        String(r.pageP50Ms),
        String(r.pageP99Ms),
      ]),
    ]))
      console.log(line);
    console.log('');
    for (const line of alignColumns([
      ['long poll', 'writes', 'writes/s', 'received', 'lag p50 ms', 'lag p99 ms', 'lag max ms'],
      ...lags.map((l) => [
        l.scenario,
        String(l.writes),
        String(l.writesPerSecond),
        String(l.received),
        String(l.lagP50Ms),
        String(l.lagP99Ms),
        String(l.lagMaxMs),
      ]),
    ]))
      console.log(line);
    saveNamedResult('events-api', result);
    console.log(`\nsaved bench/results/latest-events-api.json`);
    const lost = lags.filter((l) => l.received < l.writes);
    if (lost.length > 0) throw new Error(`the consumer missed events: ${JSON.stringify(lost)}`);
  } finally {
    server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
