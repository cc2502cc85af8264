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
import type { Checkpointer } from './checkpointer';
import { startCheckpointer, useCheckpointBackstop } from './checkpointer';

export interface Stores {
  /**
   * The raw handle, for the store's own plumbing (the WAL checkpointer) and tests; modules outside `store/` use the
   * named methods below instead (issue 14: a second implementation on PostgreSQL must be able to stand behind them).
   */
  db: Db;
  /**
   * Runs `fn` atomically: one write transaction, or a savepoint of the open one (a failing `fn` undoes its own
   * changes). Every store call inside it is part of the same commit.
   */
  atomically<T>(fn: () => T): T;
  /** Runs `fn`'s reads in one snapshot (a read transaction: no write lock), so they agree with one another. */
  readConsistently<T>(fn: () => T): T;
  /** Throws when the database cannot answer a trivial query (health checks). */
  ping(): void;
  /**
   * The database's housekeeping for a long-running API process: `owner` (the one process per database file that runs
   * background jobs) checkpoints the WAL from a worker thread; the others only keep a backstop (store/checkpointer.ts).
   */
  startHousekeeping(owner: boolean, onError: (err: Error) => void): Checkpointer;
  directories: DirectoryStore;
  events: EventLog;
  /** Accounts of the built-in demo app, and what each webhook app was told. */
  localAccounts: LocalAccountStore;
  resources: ResourceStore;
  members: GroupMemberStore;
  applied: AppliedStateStore;
  policies: PolicyStore;
  /** Reconciliation runs and the drift they found. */
  drift: DriftStore;
  /** Changes the mass-change guard holds until `scimflow approve`. */
  held: HeldChangeStore;
  /** HR signing secrets and events. */
  hr: HrStore;
  /** Non-human identities and their credentials. */
  nhis: NhiStore;
  /** Per-app rate limit, concurrency and circuit breaker, shared by every worker. */
  throttle: AppThrottleStore;
  /** What scimflow sent to webhook apps and what they acknowledged. */
  webhooks: WebhookDeliveryStore;
  /** Group commit for request writes (the API); other processes use plain transactions. */
  batch: WriteBatcher;
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
export function createStores(db: Db, secretKeys: string | undefined = process.env.SCIMFLOW_SECRET_KEYS): Stores {
  const events = new EventLog(db);
  const groupNames = groupNamesOf(db);
  const secrets = secretsOf(db, secretKeys);
  const tx = transactor(db);
  return {
    db,
    atomically: (fn) => tx.run(fn),
    readConsistently: (fn) => db.transaction(fn).deferred(),
    ping: () => void db.prepare('SELECT 1').get(),
    startHousekeeping: (owner, onError) => (owner ? startCheckpointer(db, onError) : useCheckpointBackstop(db)),
    directories: new DirectoryStore(db, secrets),
    hr: new HrStore(db, secrets),
    nhis: new NhiStore(db),
    webhooks: new WebhookDeliveryStore(db),
    localAccounts: new LocalAccountStore(db),
    events,
    resources: new ResourceStore(db, events, groupNames),
    members: new GroupMemberStore(db, groupNames),
    throttle: new AppThrottleStore(db),
    applied: new AppliedStateStore(db),
    policies: new PolicyStore(db),
    drift: new DriftStore(db),
    held: new HeldChangeStore(db),
    batch: new WriteBatcher(db),
  };
}
