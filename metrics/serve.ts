// metrics/serve.ts: the process's metrics, a store's and the Temporal SDK's, as Prometheus text; and a listener of
// their own for processes without the API (`scimflow worker` with METRICS_PORT).
import http from 'node:http';
import { Registry } from 'prom-client';
import { registry } from './registry';
import { sdkMetricsText } from './temporal-sdk';

export async function metricsText(storeMetrics?: Registry): Promise<{ contentType: string; body: string }> {
  const merged = storeMetrics ? Registry.merge([registry, storeMetrics]) : registry;
  const [own, sdk] = await Promise.all([merged.metrics(), sdkMetricsText()]);
  return { contentType: merged.contentType, body: sdk ? `${own}\n${sdk}` : own };
}

/** Serves GET /metrics on host:port (the worker's own listener; bind it where only Prometheus reaches). */
export function listenForMetrics(port: number, host: string, storeMetrics?: Registry): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metricsText(storeMetrics).then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
