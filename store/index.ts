// store/index.ts: one object holding every store over one database handle.
import { LocalAccountStore } from './local-accounts';
import type { Db } from './db';
import { AppliedStateStore } from './applied-state';
import { AppThrottleStore } from './app-throttle';
import { DirectoryStore } from './directories';
import path from 'node:path';
import { DriftStore } from './drift';
import { SecretBox } from './secrets';
import { HeldChangeStore } from './held-changes';
import { HrStore } from './hr';
import { WebhookDeliveryStore } from './webhook-deliveries';
import { NhiStore } from './nhis';
import { EventLog } from './event-log';
import { GroupMemberStore } from './group-members';
import { GroupNames } from './group-names';
import { PolicyStore } from './policies';
import { ResourceStore } from './resources';
import { WriteBatcher } from './write-batch';
import { transactor } from './transact';
import type { Async } from './connection-gate';
import { asyncView, ConnectionGate, gated } from './connection-gate';
import type { ResourceType, StoredResource } from './resources';
import type { AuditRecord } from './applied-state';
import type { Checkpointer } from './checkpointer';
import { startCheckpointer, useCheckpointBackstop } from './checkpointer';

/**
 * The store every process uses: named asynchronous methods, so that an implementation over a network database can
 * stand behind the same interface as the SQLite one (issue 14). SQL stays inside `store/`.
 */
export interface Stores {
  /** Which implementation stands behind the interface (the start banner says it). */
  kind: 'sqlite' | 'postgres';
  /**
   * Runs `fn` atomically: one write transaction, or a savepoint of the open one (a failing `fn` undoes its own
   * changes). Every store call `fn` makes, however deep and across awaits, is part of the same commit; `fn` must not
   * wait for anything but the store (no network calls inside a transaction).
   */
  atomically<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Like `atomically`, but inside an open transaction `fn` joins it without a savepoint: a failing `fn` fails the
   * caller's transaction (which undoes it). For writes whose callers isolate failures themselves (the group commit, a
   * Bulk operation's `atomically`): on PostgreSQL a savepoint costs two round trips.
   */
  joinTransaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn`'s reads in one snapshot (a read transaction: no write lock), so they agree with one another. */
  readConsistently<T>(fn: () => Promise<T>): Promise<T>;
  /** Rejects when the database cannot answer a trivial query (health checks). */
  ping(): Promise<void>;
  /**
   * The database's housekeeping for a long-running API process: `owner` (the one process per database file that runs
   * background jobs) checkpoints the WAL from a worker thread; the others only keep a backstop (store/checkpointer.ts).
   */
  startHousekeeping(owner: boolean, onError: (err: Error) => void): Checkpointer;
  directories: Async<DirectoryStore>;
  events: Async<EventLog>;
  /** Accounts of the built-in demo app, and what each webhook app was told. */
  localAccounts: Async<LocalAccountStore>;
  resources: Async<ResourceStore>;
  members: Async<GroupMemberStore>;
  applied: Async<AppliedStateStore>;
  policies: Async<PolicyStore>;
  /** Reconciliation runs and the drift they found. */
  drift: Async<DriftStore>;
  /** Changes the mass-change guard holds until `scimflow approve`. */
  held: Async<HeldChangeStore>;
  /** HR signing secrets and events. */
  hr: Async<HrStore>;
  /** Non-human identities and their credentials. */
  nhis: Async<NhiStore>;
  /** Per-app rate limit, concurrency and circuit breaker, shared by every worker. */
  throttle: Async<AppThrottleStore>;
  /** What scimflow sent to webhook apps and what they acknowledged. */
  webhooks: Async<WebhookDeliveryStore>;
  /** Group commit for request writes (the API); other processes use `atomically`. */
  batch: Pick<WriteBatcher, 'run' | 'stats'>;
}

/** The SQLite implementation, with its raw handle: for the store's own plumbing, benches and tests only. */
export interface SqliteStores extends Stores {
  kind: 'sqlite';
  db: Db;
}

/** Rows read per page by the streaming reads below. */
const STREAM_PAGE = 500;

/** Every live resource of a type, in creation order, read a page at a time. */
export async function* scanResources(
  stores: Pick<Stores, 'resources'>,
  directoryId: string,
  type: ResourceType,
): AsyncGenerator<StoredResource> {
  for (let after: StoredResource | undefined; ;) {
    const page = await stores.resources.scanPage(directoryId, type, after, STREAM_PAGE);
    yield* page;
    if (page.length < STREAM_PAGE) return;
    after = page[page.length - 1];
  }
}

/** The audit trail in order (store/applied-state.ts `auditPage`), read a page at a time. */
export async function* auditRecords(
  stores: Pick<Stores, 'applied'>,
  directoryId: string,
  opts: { since?: string; identityId?: string; appId?: string } = {},
): AsyncGenerator<AuditRecord> {
  for (let afterId = 0; ;) {
    const page = await stores.applied.auditPage(directoryId, opts, afterId, STREAM_PAGE);
    yield* page;
    if (page.length < STREAM_PAGE) return;
    afterId = page[page.length - 1]!.id;
  }
}

/** One cache per connection: a connection's own writes never change its data_version, so every Stores over it must share it. */
const groupNamesByDb = new WeakMap<Db, GroupNames>();
function groupNamesOf(db: Db): GroupNames {
  let names = groupNamesByDb.get(db);
  if (!names) groupNamesByDb.set(db, (names = new GroupNames(db)));
  return names;
}

/** One key set per connection, loaded once (the key file is read, or created, at the first Stores over it). */
const secretsByDb = new WeakMap<Db, SecretBox>();
function secretsOf(db: Db, keys: string | undefined): SecretBox {
  let box = secretsByDb.get(db);
  if (!box) {
    const file = db.memory ? undefined : db.name;
    secretsByDb.set(db, (box = SecretBox.load(keys, file === undefined ? undefined : path.dirname(file))));
    // Plaintext from before encryption, or an older key after rotation: app credentials and HR signing secrets.
    new DirectoryStore(db, box).resealSecrets();
    new HrStore(db, box).resealSecrets();
  }
  return box;
}

/**
 * `secretKeys`: SCIMFLOW_SECRET_KEYS (comma-separated base64 AES-256 keys, the first one sealing); unset, the key file
 * `secret.key` beside the database (store/secrets.ts).
 */
export function createStores(db: Db, secretKeys: string | undefined = process.env.SCIMFLOW_SECRET_KEYS): SqliteStores {
  const events = new EventLog(db);
  const groupNames = groupNamesOf(db);
  const secrets = secretsOf(db, secretKeys);
  const tx = transactor(db);
  const gate = gateOf(db);
  const view = <T extends object>(store: T) => asyncView(store, gate);
  const inScope = <T>(fn: () => Promise<T>, begin: () => Promise<T>) => (gate.inside() ? fn() : begin());
  // Inside the open scope: a savepoint of its transaction.
  const atomically = <T>(fn: () => Promise<T>) =>
    gate.inside() ? tx.runAsync(fn) : gate.exclusive(() => tx.runAsync(fn));
  return {
    kind: 'sqlite',
    db,
    atomically,
    // A SQLite savepoint costs no round trip: joining is atomically's savepoint, stricter and as cheap.
    joinTransaction: atomically,
    readConsistently: (fn) =>
      inScope(fn, () =>
        gate.exclusive(async () => {
          db.prepare('BEGIN DEFERRED').run();
          try {
            return await fn();
          } finally {
            if (db.inTransaction) db.prepare('COMMIT').run();
          }
        }),
      ),
    ping: () => gated(gate, () => void db.prepare('SELECT 1').get()),
    startHousekeeping: (owner, onError) => (owner ? startCheckpointer(db, onError) : useCheckpointBackstop(db)),
    directories: view(new DirectoryStore(db, secrets)),
    hr: view(new HrStore(db, secrets)),
    nhis: view(new NhiStore(db)),
    webhooks: view(new WebhookDeliveryStore(db)),
    localAccounts: view(new LocalAccountStore(db)),
    events: view(events),
    resources: view(new ResourceStore(db, events, groupNames)),
    members: view(new GroupMemberStore(db, groupNames)),
    throttle: view(new AppThrottleStore(db)),
    applied: view(new AppliedStateStore(db)),
    policies: view(new PolicyStore(db)),
    drift: view(new DriftStore(db)),
    held: view(new HeldChangeStore(db)),
    batch: batchOf(db, gate),
  };
}

/** One gate per connection: every Stores over it shares the connection, so they must share its transactions too. */
const gatesByDb = new WeakMap<Db, ConnectionGate>();
function gateOf(db: Db): ConnectionGate {
  let gate = gatesByDb.get(db);
  if (!gate) gatesByDb.set(db, (gate = new ConnectionGate()));
  return gate;
}

const batchesByDb = new WeakMap<Db, WriteBatcher>();
function batchOf(db: Db, gate: ConnectionGate): WriteBatcher {
  let batch = batchesByDb.get(db);
  if (!batch) batchesByDb.set(db, (batch = new WriteBatcher(db, gate)));
  return batch;
}
