// bench/lifecycle-driver.ts: the load driver's tools: bounded-concurrency runs, SCIM calls, percentiles, deadline polling.

export interface RunStats {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  firstFailure?: string;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank: p99 of 20 samples is the largest one, not an interpolation below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Runs `fn(0…count-1)` with at most `concurrency` in flight; failures are counted, never thrown. */
export async function runBounded(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<void>,
): Promise<RunStats> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      try {
        await fn(i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        failures += 1;
        firstFailure ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const seconds = (performance.now() - started) / 1000;
  return {
    count,
    seconds: round(seconds, 2),
    perSecond: round(count / seconds, 1),
    p50Ms: round(percentile(latencies, 50), 1),
    p99Ms: round(percentile(latencies, 99), 1),
    failures,
    firstFailure,
  };
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export interface ScimTarget {
  baseUrl: string;
  directoryId: string;
  token: string;
}

/** One SCIM call; anything but `expect` is an error carrying the status and the start of the body. */
export async function scimCall(
  target: ScimTarget,
  method: string,
  path: string,
  body: unknown,
  expect: number,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${target.baseUrl}/scim/v2/${target.directoryId}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export function userBody(i: number): Record<string, unknown> {
  const n = String(i).padStart(6, '0');
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: `bench.user${n}@example.com`,
    externalId: `ext-${n}`,
    name: { givenName: 'Bench', familyName: `User${n}` },
    displayName: `Bench User${n}`,
    emails: [{ value: `bench.user${n}@example.com`, type: 'work', primary: true }],
    active: true,
  };
}

export const DEACTIVATE = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'replace', path: 'active', value: false }],
};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns true or `deadline` (epoch ms) passes; resolves whether it was met. */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  deadline: number,
  everyMs: number,
): Promise<boolean> {
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}

/** Calls `fn` every `everyMs` until the returned stop function is called; never keeps the process alive by itself. */
export function every(everyMs: number, fn: () => void): () => void {
  const timer = setInterval(fn, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
