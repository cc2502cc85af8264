// metrics/store-gauges.ts: metrics read from scimflow's store at scrape time, so every process that serves /metrics
// reports the same durable truth (lag, exceptions, drift, time to revoke) whichever process did the work.
import { Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Stores } from '../store';

export const TIME_TO_REVOKE_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14_400, 86_400];

type Labels = Record<string, string>;

/** A gauge with one value (or one per extra label set) per directory, read from the store at scrape time. */
function directoryGauge(
  registry: Registry,
  stores: Stores,
  spec: {
    name: string;
    help: string;
    extraLabels?: string[];
    read: (directoryId: string) => Promise<Iterable<[Labels, number]>>;
  },
): void {
  new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: ['directory', ...(spec.extraLabels ?? [])],
    registers: [registry],
    async collect() {
      // Everything is read before the gauge is reset, so that a scrape never sees it half set.
      const values: [Labels, number][] = [];
      for (const dir of await stores.directories.list())
        for (const [labels, value] of await spec.read(dir.id)) values.push([{ directory: dir.id, ...labels }, value]);
      this.reset();
      for (const [labels, value] of values) this.set(labels, value);
    },
  });
}

/** Registers the store-backed metrics on `registry`; read from `stores` when scraped. */
export function registerStoreMetrics(registry: Registry, stores: Stores): void {
  directoryGauge(registry, stores, {
    name: 'scimflow_unprocessed_events',
    help: 'Events recorded but not yet converged by their identity workflow, per directory',
    read: async (id) => [[{}, (await stores.applied.lag(id)).unprocessedEvents]],
  });
  directoryGauge(registry, stores, {
    name: 'scimflow_open_exceptions',
    help: 'Identities held in exception or blocked in some app (revocations included), per directory',
    read: async (id) => [[{}, (await stores.applied.exceptions(id)).length]],
  });
  directoryGauge(registry, stores, {
    name: 'scimflow_oldest_blocked_revocation_seconds',
    help: 'Age of the oldest revocation that keeps failing, per directory (0 when none)',
    read: async (id) => {
      const ages = (await stores.applied.exceptions(id))
        .filter((e) => e.apps.some((a) => a.kind === 'revocation'))
        .map((e) => e.ageSeconds);
      return [[{}, ages.length > 0 ? Math.max(...ages) : 0]];
    },
  });
  directoryGauge(registry, stores, {
    name: 'scimflow_drift_findings',
    help: 'Drift the latest reconcile of each app found and has not repaired, per directory and kind',
    extraLabels: ['kind'],
    read: async (id) => {
      const counts = new Map<string, number>();
      for (const row of await stores.drift.latest(id)) counts.set(row.kind, (counts.get(row.kind) ?? 0) + 1);
      return [...counts].map(([kind, n]): [Labels, number] => [{ kind }, n]);
    },
  });
  new Gauge({
    name: 'scimflow_app_circuit_open',
    help: '1 while an app’s circuit breaker is open or probing (calls refused until a probe succeeds)',
    labelNames: ['app'] as const,
    registers: [registry],
    async collect() {
      const values: [string, number][] = [];
      for (const dir of await stores.directories.list())
        for (const app of await stores.directories.listApps(dir.id)) {
          const { breaker } = await stores.throttle.status(app.id);
          values.push([app.name, breaker.state === 'closed' ? 0 : 1]);
        }
      this.reset();
      for (const [app, value] of values) this.set({ app }, value);
    },
  });
  // Time to revoke: each verified revocation recorded since the last scrape is observed once (per process); the
  // newest one at registration is read now, and awaited by the first scrape.
  const newestAtStart = stores.applied.newestRevocationRowId();
  // A failed read fails the first scrape (which awaits it), not the process before any scrape came.
  newestAtStart.catch(() => undefined);
  let seen: number | undefined;
  new Histogram({
    name: 'scimflow_time_to_revoke_seconds',
    help: 'From a leaver’s request (or HR effective time) to the last app’s verified revocation',
    labelNames: ['directory'] as const,
    buckets: TIME_TO_REVOKE_BUCKETS,
    registers: [registry],
    async collect() {
      seen ??= await newestAtStart;
      for (const row of await stores.applied.revocationsAfterRowId(seen)) {
        if (row.rowId <= seen) continue; // observed by a scrape that ran meanwhile
        this.observe({ directory: row.directoryId }, row.latencyMs / 1000);
        seen = Math.max(seen, row.rowId);
      }
    },
  });
}
