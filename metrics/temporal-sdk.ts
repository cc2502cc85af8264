// metrics/temporal-sdk.ts: the Temporal SDK's own metrics (workflow and activity task latencies, slots, pollers,
// sticky cache) exported by its core on a loopback port of this host and appended to scimflow's /metrics, so one scrape
// of the process running the worker sees both. API processes forked by `scimflow serve` inherit the address.
import { findFreePort } from '../runtime/ports';

const SOURCE_ENV = 'SCIMFLOW_TEMPORAL_SDK_METRICS_URL';
const FETCH_TIMEOUT_MS = 2_000;

/** A loopback address for the SDK's Prometheus exporter; remembered (also for forked API processes) for /metrics. */
export async function reserveSdkMetricsAddress(): Promise<string> {
  const address = `127.0.0.1:${await findFreePort()}`;
  process.env[SOURCE_ENV] = `http://${address}/metrics`;
  return address;
}

/** The SDK's metrics text, '' when this process has no worker, or a comment saying why it could not be read. */
export async function sdkMetricsText(): Promise<string> {
  const url = process.env[SOURCE_ENV];
  if (!url) return '';
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) return `# Temporal SDK metrics unavailable: HTTP ${res.status}\n`;
    return await res.text();
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message}\n`;
  }
}
