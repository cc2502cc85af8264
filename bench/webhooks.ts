// bench/webhooks.ts: `npm run bench:webhooks`: webhook apps (issue 15) under `scimflow serve` (dev server, SQLite):
// events delivered per second to one endpoint and to ten, and the delivery lag (the SCIM POST's answer → the signed
// account.created verified at the endpoint) at idle and during a burst of user creations, in both formats (Standard
// Webhooks JSON, SCIM SETs signed ES256). Prints a table and saves JSON (bench/results/webhooks-<time>.json and
// latest-webhooks.json).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { Webhook } from 'standardwebhooks';
import { newSetKey, setJwks } from '../connectors/scim-set';
import type { WebhookFormat } from '../connectors/webhook-config';
import { newWebhookSecret } from '../connectors/webhook-config';
import type { ScimTarget } from './lifecycle-driver';
import { percentile, round, runBounded, scimCall, sleep, userBody } from './lifecycle-driver';
import { alignColumns, saveNamedResult } from './lifecycle-report';
import { startStack } from './lifecycle-stack';

/** How an endpoint reads one POST: the verified event's type and the userName of an account.created, or a throw. */
type Reader = (body: string, headers: http.IncomingHttpHeaders) => Promise<{ created?: string }>;

/** A Standard Webhooks receiver: HMAC verified with the `standardwebhooks` library. */
function jsonReader(secret: string): Reader {
  const verifier = new Webhook(secret);
  return (body, headers) => {
    const event = verifier.verify(body, headers as Record<string, string>) as {
      type: string;
      data: { account: { userName: string } };
    };
    return Promise.resolve(event.type === 'account.created' ? { created: event.data.account.userName } : {});
  };
}

/** A SET receiver: the JWS verified against the app's published keys, issuer and audience (jose). */
function setReader(set: { issuer: string; audience: string; privateKey: string; kid: string }): Reader {
  const keys = createLocalJWKSet(setJwks(set, new Date()));
  return async (body) => {
    const { payload } = await jwtVerify(body, keys, {
      issuer: set.issuer,
      audience: set.audience,
      typ: 'secevent+jwt',
    });
    const created = (payload.events as Record<string, { data?: { userName?: string } }>)[
      'urn:ietf:params:scim:event:prov:create:full'
    ];
    return created?.data?.userName ? { created: created.data.userName } : {};
  };
}

/** One endpoint: verifies each POST, answers 2xx, notes when each user's account.created arrived. */
async function startEndpoint(read: Reader, okStatus: number) {
  const createdAt = new Map<string, number>();
  let events = 0;
  let bad = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      read(Buffer.concat(chunks).toString(), req.headers).then(
        ({ created }) => {
          events += 1;
          if (created && !createdAt.has(created)) createdAt.set(created, Date.now());
          res.writeHead(okStatus).end();
        },
        () => {
          bad += 1;
          res.writeHead(401).end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    createdAt,
    counts: () => ({ events, bad }),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An app's signing settings in `format`, and the endpoint that verifies them. */
async function endpointFor(format: WebhookFormat) {
  if (format === 'scim-set') {
    const set = { issuer: 'https://scimflow.bench', audience: 'https://endpoint.bench', ...newSetKey() };
    return { endpoint: await startEndpoint(setReader(set), 202), signing: { format, set } };
  }
  const secret = newWebhookSecret();
  return { endpoint: await startEndpoint(jsonReader(secret), 204), signing: { webhook: { secret } } };
}

type Endpoint = Awaited<ReturnType<typeof startEndpoint>>;

interface PhaseResult {
  users: number;
  /** Events the endpoints acknowledged in the phase (one account.created per user per endpoint). */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

/** Creates `count` users (from `from`) and waits until every endpoint has each one's account.created. */
async function phase(
  target: ScimTarget,
  endpoints: Endpoint[],
  from: number,
  count: number,
  concurrency: number,
  gapMs: number,
): Promise<PhaseResult> {
  const answeredAt = new Map<string, number>();
  const before = endpoints.reduce((n, e) => n + e.counts().events, 0);
  const started = Date.now();
  const post = await runBounded(count, concurrency, async (k) => {
    const body = userBody(from + k);
    await scimCall(target, 'POST', '/Users', body, 201);
    answeredAt.set(body.userName as string, Date.now());
    if (gapMs > 0) await sleep(gapMs);
  });
  if (post.failures > 0) throw new Error(`${post.failures} POSTs failed: ${post.firstFailure}`);
  const names = [...answeredAt.keys()];
  const deadline = Date.now() + Math.max(120_000, count * 500);
  while (!endpoints.every((e) => names.every((n) => e.createdAt.has(n)))) {
    if (Date.now() > deadline) throw new Error('not every account.created arrived in time');
    await sleep(100);
  }
  const lags = endpoints.flatMap((e) => names.map((n) => e.createdAt.get(n)! - answeredAt.get(n)!));
  const last = Math.max(...endpoints.flatMap((e) => names.map((n) => e.createdAt.get(n)!)));
  const seconds = (last - started) / 1000;
  const events = endpoints.reduce((n, e) => n + e.counts().events, 0) - before;
  return {
    users: count,
    events,
    seconds: round(seconds, 2),
    eventsPerSecond: round(events / seconds, 1),
    lagP50Ms: round(percentile(lags, 50)),
    lagP99Ms: round(percentile(lags, 99)),
    lagMaxMs: round(Math.max(...lags)),
  };
}

async function run(
  format: WebhookFormat,
  endpointCount: number,
  o: { idle: number; burst: number; concurrency: number },
) {
  const made = await Promise.all(Array.from({ length: endpointCount }, () => endpointFor(format)));
  const endpoints = made.map((m) => m.endpoint);
  const stack = await startStack({
    temporalDb: 'file',
    apps: made.map((m, i) => ({
      name: `hook${i}`,
      type: 'webhook' as const,
      config: { url: m.endpoint.url, ...m.signing },
    })),
    serveEnv: {},
    log: (line) => /\[(WARN|ERROR)\]|\bError\b/.test(line) && console.error(line),
  });
  try {
    await stack.startScimflow();
    console.log(`${format}, ${endpointCount} endpoint(s): idle, ${o.idle} users one at a time`);
    const idle = await phase(stack.target, endpoints, 0, o.idle, 1, 200);
    console.log(`${format}, ${endpointCount} endpoint(s): burst of ${o.burst} users (${o.concurrency} clients)`);
    const burst = await phase(stack.target, endpoints, o.idle, o.burst, o.concurrency, 0);
    const bad = endpoints.reduce((n, e) => n + e.counts().bad, 0);
    if (bad > 0) throw new Error(`${bad} POSTs failed signature verification`);
    return { format, endpoints: endpointCount, idle, burst };
  } finally {
    await stack.stop();
    await Promise.all(endpoints.map((e) => e.stop()));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      idle: { type: 'string', default: '50' },
      burst: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '32' },
      formats: { type: 'string', default: 'standard-webhooks,scim-set' },
    },
  });
  const int = (name: keyof typeof values) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  const o = { idle: int('idle'), burst: int('burst'), concurrency: int('concurrency') };
  const formats = values.formats.split(',').map((f) => f.trim());
  for (const f of formats)
    if (f !== 'standard-webhooks' && f !== 'scim-set') throw new Error(`--formats: unknown format ${f}`);
  const startedAt = new Date().toISOString();
  const runs = [];
  for (const format of formats as WebhookFormat[]) runs.push(await run(format, 1, o), await run(format, 10, o));
  const result = {
    bench: 'webhooks',
    startedAt,
    machine: { cpus: os.cpus().length, node: process.version },
    setup: { ...o, directories: 1, loadGenerators: 1, events: 'account.created, one per user per endpoint' },
    runs,
  };
  console.log('');
  for (const line of alignColumns([
    ['format', 'endpoints', 'phase', 'users', 'events', 'events/s', 'lag p50 ms', 'lag p99 ms', 'lag max ms'],
    ...runs.flatMap((r) =>
      (['idle', 'burst'] as const).map((name) => {
        const p = r[name];
        return [
          r.format,
          String(r.endpoints),
          name,
          String(p.users),
          String(p.events),
          String(p.eventsPerSecond),
          String(p.lagP50Ms),
          String(p.lagP99Ms),
          String(p.lagMaxMs),
        ];
      }),
    ),
  ]))
    console.log(line);
  saveNamedResult('webhooks', result);
  console.log('\nsaved bench/results/latest-webhooks.json');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
