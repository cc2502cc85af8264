// api/config.ts: everything the API process reads from its environment.
import os from 'node:os';
import { z } from 'zod';
import { DatabaseEnv, parseEnv, toDatabaseConfig } from '../store/env';

const ApiEnv = DatabaseEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.string().url().optional(),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  BULK_MAX_OPERATIONS: z.coerce.number().int().positive().default(1000),
  MAX_PAGE_SIZE: z.coerce.number().int().positive().default(1000),
  ADMIN_TOKEN: z.string().min(16).optional(),
  /** `true`: /metrics answers without the admin token (bind it where only Prometheus reaches). */
  METRICS_PUBLIC: z.enum(['true', 'false']).default('false'),
  /**
   * How long an idle keep-alive connection stays open. Above the idle timeout of whatever sits in front (AWS ALB 60 s,
   * nginx 60 s): the proxy, not scimflow, must close an idle connection, or it may send on a socket being closed.
   * Behind Google Cloud load balancers (600 s) set 620000.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(75_000),
  /** Delivered events older than this many days are pruned hourly; unset keeps everything (the default). */
  EVENT_RETENTION_DAYS: z.coerce.number().positive().optional(),
  /** API processes sharing the port (`auto`: one per core). Reads scale with them; writes share SQLite's one lock. */
  API_PROCESSES: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
    .default(1)
    .transform((v) => (v === 'auto' ? Math.min(os.availableParallelism(), 64) : v)),
});

export function loadApiConfig(env: Record<string, string | undefined> = process.env) {
  const e = parseEnv(ApiEnv, env, 'API');
  return Object.freeze({
    http: { port: e.PORT, host: e.HOST, publicUrl: e.PUBLIC_URL, keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS },
    processes: e.API_PROCESSES,
    limits: { maxBodyBytes: e.MAX_BODY_BYTES, bulkMaxOperations: e.BULK_MAX_OPERATIONS, maxPageSize: e.MAX_PAGE_SIZE },
    adminToken: e.ADMIN_TOKEN,
    metricsPublic: e.METRICS_PUBLIC === 'true',
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    database: toDatabaseConfig(e),
  });
}

export type ApiConfig = ReturnType<typeof loadApiConfig>;
export type ApiLimits = ApiConfig['limits'];
