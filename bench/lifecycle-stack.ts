// bench/lifecycle-stack.ts: the bench topology: Temporal dev server, a seeded scimflow data dir, `scimflow serve` as a child.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../runtime/dev-server';
import { findFreePort } from '../runtime/ports';
import { ensureTemporalCli } from '../runtime/temporal-cli';
import { openDatabase } from '../store/db';
import { createStores } from '../store';
import { SEARCH_ATTRIBUTE_TYPES } from '../workflows/contracts';
import type { ScimTarget } from './lifecycle-driver';
import type { NodeChild } from './lifecycle-procs';
import { findDevServerPid, startNodeChild } from './lifecycle-procs';

const ROOT = path.join(__dirname, '..');

export interface AppSpec {
  name: string;
  type: 'local' | 'scim' | 'webhook';
  config?: Record<string, unknown>;
}

export interface StackOptions {
  temporalDb: 'file' | 'memory';
  apps: AppSpec[];
  /** More directories (tenants) served by the same scimflow, each with its own apps. */
  tenants?: { name: string; apps: AppSpec[] }[];
  /** Extra env for `scimflow serve` (WORKER_MAX_CONCURRENT_* …). */
  serveEnv: Record<string, string>;
  log: (line: string) => void;
}

export interface Stack {
  dataDir: string;
  target: ScimTarget;
  temporalAddress: string;
  temporalPid: number | undefined;
  client: Client;
  /** A reader of scimflow's SQLite file (WAL: reads never block the server's writes). */
  db: Database.Database;
  appIds: string[];
  tenants: { target: ScimTarget; appIds: string[] }[];
  /** `nodeArgs` go before the script, e.g. --cpu-prof. */
  startScimflow(nodeArgs?: string[]): Promise<NodeChild>;
  startCeilingWorker(taskQueue: string, extraArgs?: string[]): Promise<NodeChild>;
  stop(): Promise<void>;
}

async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const p = await findFreePort();
    if (!ports.includes(p)) ports.push(p);
  }
  return ports;
}

/** Starts the dev server and seeds the directory; scimflow itself starts later (after the ceiling run has the machine). */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse())
      await fn().catch((err: Error) => opts.log(`cleanup failed: ${err.message}`));
  };
  try {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-lifecycle-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const file = path.join(dataDir, 'scimflow.sqlite');
    const seedDb = await openDatabase({ file, synchronous: 'NORMAL' });
    const stores = createStores(seedDb);
    const seed = async (name: string, apps: AppSpec[]) => {
      const { directory, token } = await stores.directories.create({ name, dialect: 'generic' });
      const appIds: string[] = [];
      for (const a of apps)
        appIds.push(
          (
            await stores.directories.addApp({
              directoryId: directory.id,
              name: a.name,
              type: a.type,
              config: { deprovision: 'disable', ...a.config },
            })
          ).id,
        );
      return { directoryId: directory.id, token, appIds };
    };
    const { directoryId, token, appIds } = await seed('bench', opts.apps);
    const tenants = [];
    for (const t of opts.tenants ?? []) tenants.push(await seed(t.name, t.apps));
    seedDb.close();

    const cliPath = await ensureTemporalCli({ log: opts.log });
    const [port, uiPort, apiPort] = (await freePorts(3)) as [number, number, number];
    const server = await startDevServer({
      cliPath,
      dbFile: opts.temporalDb === 'file' ? path.join(dataDir, 'temporal.sqlite') : undefined,
      port,
      uiPort,
      searchAttributes: SEARCH_ATTRIBUTE_TYPES,
      log: (line) => opts.log(`[temporal] ${line}`),
    });
    cleanups.push(() => server.stop());
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });
    // Not opened readonly: a readonly handle cannot open a WAL database whose -shm file is not there yet. query_only instead.
    const db = new Database(file, { fileMustExist: true });
    db.pragma('query_only = ON');
    cleanups.push(async () => {
      db.close();
    });

    const mark = crypto.randomUUID();
    const child = async (args: string[], env: Record<string, string>, ready: RegExp, tag: string) => {
      const c = await startNodeChild({
        args,
        env,
        mark: `${mark}-${tag}`,
        ready,
        log: (line) => opts.log(`[${tag}] ${line}`),
      });
      cleanups.push(() => c.stop());
      return c;
    };
    return {
      dataDir,
      target: { baseUrl: `http://127.0.0.1:${apiPort}`, directoryId, token },
      tenants: tenants.map((t) => ({
        target: { baseUrl: `http://127.0.0.1:${apiPort}`, directoryId: t.directoryId, token: t.token },
        appIds: t.appIds,
      })),
      temporalAddress: server.address,
      temporalPid: findDevServerPid(cliPath, port),
      client,
      db,
      appIds,
      startScimflow: (nodeArgs = []) =>
        child(
          [...nodeArgs, path.join(ROOT, 'bin', 'scimflow.js'), 'serve'],
          {
            DATA_DIR: dataDir,
            HOST: '127.0.0.1',
            PORT: String(apiPort),
            TEMPORAL_ADDRESS: server.address,
            ...opts.serveEnv,
          },
          /^scimflow API:/,
          'scimflow',
        ),
      startCeilingWorker: (taskQueue) =>
        child(
          [
            '--require',
            require.resolve('tsx/cjs'),
            path.join(__dirname, 'lifecycle-ceiling-worker.ts'),
            '--address',
            server.address,
            '--task-queue',
            taskQueue,
          ],
          {},
          /^ceiling worker ready/,
          'ceiling',
        ),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
