// metrics/registry.ts: every metric scimflow exports (Prometheus, prom-client), in one registry per process.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'scimflow_' }); // scimflow_process_*, scimflow_nodejs_*

/** SCIM (and HR, admin) requests by route pattern, method and status. */
export const httpRequests = new Counter({
  name: 'scimflow_http_requests_total',
  help: 'HTTP requests served, by route pattern, method and status',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'scimflow_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route pattern and method',
  labelNames: ['route', 'method'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Downstream calls through an app's gate, by outcome (answered, transient, cancelled, refused by the gate). */
export const appCalls = new Counter({
  name: 'scimflow_app_calls_total',
  help: 'Calls to a downstream app: answered, transient (timeout, 429, 5xx, no answer), cancelled, or refused by its gate',
  labelNames: ['app', 'outcome'] as const,
  registers: [registry],
});

/** Time the gate asked callers to wait (rate limit, concurrency, open circuit breaker). */
export const appGateWaitSeconds = new Counter({
  name: 'scimflow_app_gate_wait_seconds_total',
  help: 'Seconds of waiting an app’s gate (rate limit, concurrency, circuit breaker) asked of refused calls',
  labelNames: ['app', 'reason'] as const,
  registers: [registry],
});

/** Coarse reason of a gate refusal, for a bounded label. */
export function gateReason(reason: string): 'rate-limit' | 'concurrency' | 'circuit-open' | 'other' {
  // The breaker's reason quotes the app's last error, which may say anything: it is tested first.
  if (/^circuit|breaker|probe/i.test(reason)) return 'circuit-open';
  if (/^rate limit/i.test(reason)) return 'rate-limit';
  if (/^concurrency/i.test(reason)) return 'concurrency';
  return 'other';
}
