// test/helpers/stack.ts: a full scimflow stack for integration tests: SQLite file, worker, API on a real port, poker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { Poker } from '../../api/poke';
import type { Stores } from '../../store';
import { createWorker, workflowsPath } from '../../worker/create-worker';
import type { RetryTiming } from '../../workflows/contracts';
import { groupFeedWorkflowId, SEARCH_ATTRIBUTES } from '../../workflows/contracts';
import { getTestTemporal } from './temporal';
import { openStores, TEST_STORE_KIND } from './store-kinds';

let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
/** Workflows are bundled once per test run. */
export function workflowBundle() {
  bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: SILENT_LOGGER });
  return bundle;
}

/** Keeps the bundler's progress lines out of the test output. */
export const SILENT_LOGGER = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export const FAST_RETRY: Partial<RetryTiming> = {
  initialIntervalMs: 100,
  maximumIntervalMs: 1_000,
  grantMaximumAttempts: 4,
  revocationAlertAfterAttempts: 3,
  activityTimeoutMs: 5_000,
};

export interface Stack {
  stores: Stores;
  /** The store's address: its SQLite file, or (SCIMFLOW_TEST_STORE=postgres) its PostgreSQL database URL. */
  databaseTarget: string;
  dataDir: string;
  baseUrl: string;
  client: Client;
  taskQueue: string;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(
  opts: {
    worker?: boolean;
    taskQueue?: string;
    relay?: boolean;
    retry?: Partial<RetryTiming>;
    /** Workflows continue as new past this many history events (default: the workflow's own budget). */
    historyBudget?: number;
  } = {},
): Promise<Stack> {
  const openedBy = callerOutsideThisFile();
  const temporal = getTestTemporal();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-test-'));
  const opened = await openStores(TEST_STORE_KIND, path.join(dataDir, 'scimflow.sqlite'));
  const stores = opened.stores;
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  const poker = new Poker(client, stores, {
    workflowInput: {
      retry: { ...FAST_RETRY, ...opts.retry },
      ...(opts.historyBudget !== undefined ? { historyBudget: opts.historyBudget } : {}),
    },
    relayAfterMs: 500,
    relayIntervalMs: 250,
  });
  if (opts.relay !== false) poker.startRelay();
  const app = createApp({
    stores,
    poke: poker.poke,
    limits: { maxBodyBytes: 1_048_576, bulkMaxOperations: 1000, maxPageSize: 1000 },
    temporal: { client, namespace: temporal.namespace, poker },
    adminToken: 'test-admin-token-0123456789',
  });
  app.on('error', (err: Error) => process.stderr.write(`stack internal error: ${err.stack}\n`));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;

  let nativeConnection: NativeConnection | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const stack: Stack = {
    stores,
    databaseTarget: opened.target,
    dataDir,
    baseUrl: `http://127.0.0.1:${port}`,
    client,
    taskQueue: opts.taskQueue ?? 'scimflow-identities',
    async startWorker() {
      nativeConnection ??= await NativeConnection.connect({ address: temporal.address });
      worker = await createWorker({
        stores,
        connection: nativeConnection,
        namespace: temporal.namespace,
        workflowBundle: await workflowBundle(),
      });
      running = worker.run();
    },
    async stopWorker() {
      // Not forced: a forced shutdown leaves workflow contexts undisposed and the SDK's reused VM then fails every
      // later worker of this process ("Workflow execution context should have been disposed first", seen in CI).
      worker?.shutdown();
      await running;
      running = undefined;
      worker = undefined;
    },
    async stop() {
      openStacks.delete(stack);
      await terminateOwnWorkflows(client, stores);
      await stack.stopWorker();
      await poker.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await nativeConnection?.close();
      await connection.close();
      await opened.close();
    },
  };
  openStacks.set(stack, openedBy);
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}

/** Stacks started and not stopped, with the test file line that started each. */
const openStacks = new Map<Stack, string>();

/**
 * Stops what a test left running (root afterAll): a left worker polls a stopped server for ever and keeps mocha's
 * process alive (a CI run once hung so until its time limit). Says which test file left it; bounded per stack.
 */
export async function stopLeftStacks(): Promise<void> {
  for (const [stack, openedBy] of [...openStacks]) {
    process.stderr.write(`[stack] a stack started at ${openedBy} was not stopped by its test; stopping it\n`);
    await Promise.race([stack.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 20_000))]);
    openStacks.delete(stack);
  }
}

/** The first stack frame outside this file: the test that started a stack. */
function callerOutsideThisFile(): string {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  const outside = frames.find((f) => !f.includes('helpers/stack.ts'));
  return outside?.trim().replace(/^at /, '') ?? 'unknown caller';
}

/**
 * Ends the workflows a stack started (its directories' identities, its webhook apps' group feeds): the suite shares one
 * dev server and one task queue, and a stopped stack's workflows would otherwise go on retrying against a database
 * that is gone, on every later stack's worker, loading the rest of the suite. Bounded: a slow server only leaves them.
 */
async function terminateOwnWorkflows(client: Client, stores: Stores): Promise<void> {
  const directories = (await stores.directories.list()).map((d) => d.id);
  const feeds: string[] = [];
  for (const d of directories)
    for (const a of await stores.directories.listApps(d))
      if (a.type === 'webhook') feeds.push(groupFeedWorkflowId(a.id));
  const end = async () => {
    for (const directoryId of directories) {
      const query = `${SEARCH_ATTRIBUTES.directory.name} = '${directoryId}' AND ExecutionStatus = 'Running'`;
      for await (const run of client.workflow.list({ query }))
        await client.workflow
          .getHandle(run.workflowId, run.runId)
          .terminate('test stack stopped')
          .catch(() => undefined);
    }
    for (const id of feeds)
      await client.workflow
        .getHandle(id)
        .terminate('test stack stopped')
        .catch(() => undefined);
  };
  await Promise.race([end().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
}

/** Polls until `check` returns a truthy value (or throws the last failure after `timeoutMs`). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = new Error('condition not met');
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw last instanceof Error ? last : new Error(String(last));
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** `items.every(check)` for an asynchronous check: one item after another, stopping at the first that fails. */
export async function everyAsync<T>(items: readonly T[], check: (item: T) => Promise<unknown>): Promise<boolean> {
  for (const item of items) if (!(await check(item))) return false;
  return true;
}

/** `items.map(fn)` for an asynchronous fn: one item after another, in order. */
export async function mapAsync<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (const item of items) results.push(await fn(item));
  return results;
}

/** SCIM call against the stack with a directory token. */
export async function scim(
  baseUrl: string,
  token: string,
  method: string,
  pathname: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${baseUrl}${pathname}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}
