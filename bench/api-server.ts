// bench/api-server.ts: the API (SQLite file, no Temporal, the admin API on) in its own process for the benches that
// measure the API alone (hostile-input.ts, events-api.ts), with a bench-only /__bench/stats route: event-loop delay
// since the last reset, memory (after a GC when asked). `startApiServer` spawns it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createApp } from '../api/app';
import { openDatabase } from '../store/db';
import { createStores } from '../store';

/** The admin token of the bench's API (the events API needs one). */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789';

export interface ApiServer {
  origin: string;
  directoryId: string;
  token: string;
  stop(): void;
}

export async function startApiServer(): Promise<ApiServer> {
  const child = spawn(process.execPath, ['--expose-gc', '--require', 'tsx/cjs', __filename], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SCIMFLOW_BENCH_API_SERVER: '1' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited ${code}`)));
  });
  return { ...(JSON.parse(line) as Omit<ApiServer, 'stop'>), stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-bench-api-'));
  const db = await openDatabase({ file: path.join(dataDir, 'scimflow.sqlite'), synchronous: 'NORMAL' });
  const stores = createStores(db);
  const limits = { maxBodyBytes: 1_048_576, bulkMaxOperations: 1000, maxPageSize: 1000 };
  const app = createApp({ stores, poke: () => undefined, limits, adminToken: BENCH_ADMIN_TOKEN });
  app.silent = true;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  app.middleware.unshift(async (ctx, next) => {
    if (ctx.path !== '/__bench/stats') return next();
    if (ctx.query.gc === '1') (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    ctx.body = {
      loopMaxMs: loop.max / 1e6,
      loopP99Ms: loop.percentile(99) / 1e6,
      rssMiB: memory.rss / 2 ** 20,
      heapUsedMiB: memory.heapUsed / 2 ** 20,
    };
    if (ctx.query.reset === '1') loop.reset();
  });
  const { directory, token } = await stores.directories.create({ name: 'bench', dialect: 'generic' });
  const server = app.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    process.stdout.write(
      `${JSON.stringify({ origin: `http://127.0.0.1:${port}`, directoryId: directory.id, token, dataDir })}\n`,
    );
  });
  process.once('SIGTERM', () => {
    server.close();
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

if (process.env.SCIMFLOW_BENCH_API_SERVER === '1') void main();
