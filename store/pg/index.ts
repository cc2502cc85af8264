// store/pg/index.ts: the store on PostgreSQL (DATABASE_URL): the same asynchronous interface as the SQLite one, over
// a connection pool; every process migrates the database and writes to it.
import pg from 'pg';
import type { Stores } from '../index';
import { migrateLatest } from '../migrate';
import { SecretBox } from '../secrets';
import { PgAppliedStateStore } from './applied-state';
import { PgAppThrottleStore } from './app-throttle';
import { PgDirectoryStore } from './directories';
import { PgDriftStore } from './drift';
import { PgEventLog } from './event-log';
import { PgGroupMemberStore } from './group-members';
import { PgGroupNames } from './group-names';
import { PgHeldChangeStore } from './held-changes';
import { PgHrStore } from './hr';
import { PgLocalAccountStore } from './local-accounts';
import { PgNhiStore } from './nhis';
import { PgPolicyStore } from './policies';
import { PgResourceStore } from './resources';
import { PgSession } from './session';
import { PgWebhookDeliveryStore } from './webhook-deliveries';
import { PgWriteBatcher } from './write-batch';

export interface PgStores extends Stores {
  kind: 'postgres';
  session: PgSession;
  /** Ends the pool (every connection of this process). */
  close(): Promise<void>;
}

export interface PgStoreOptions {
  /** SCIMFLOW_SECRET_KEYS; unset, the key file in `dataDir` (one host only: several hosts must share the keys). */
  secretKeys?: string;
  dataDir?: string;
  /** Connections in this process's pool (default 10). */
  poolSize?: number;
}

/** Migrates the database at `url` (it must exist) and opens the store on it. */
export async function openPgStores(url: string, options: PgStoreOptions = {}): Promise<PgStores> {
  await migrateLatest(url);
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server restarted, a network cut) must not crash the process: the pool drops it.
  pool.on('error', () => undefined);
  const session = new PgSession(pool);
  const secrets = SecretBox.load(options.secretKeys, options.dataDir);
  const groupNames = new PgGroupNames(session);
  const events = new PgEventLog(session);
  const directories = new PgDirectoryStore(session, secrets);
  const hr = new PgHrStore(session, secrets);
  // Plaintext from before encryption, or an older key after rotation: app credentials and HR signing secrets.
  await directories.resealSecrets();
  await hr.resealSecrets();
  return {
    kind: 'postgres',
    session,
    close: () => session.close(),
    atomically: (fn) => session.atomically(fn),
    joinTransaction: (fn) => session.join(fn),
    readConsistently: (fn) => session.readConsistently(fn),
    ping: async () => void (await session.query('SELECT 1')),
    // PostgreSQL checkpoints and vacuums by itself: the API process has nothing to run for it.
    startHousekeeping: () => ({
      stats: async () => ({ checkpoints: 0, framesCopied: 0, restarts: 0, errors: 0 }),
      stop: async () => undefined,
    }),
    directories,
    hr,
    nhis: new PgNhiStore(session),
    webhooks: new PgWebhookDeliveryStore(session),
    localAccounts: new PgLocalAccountStore(session),
    events,
    resources: new PgResourceStore(session, events, groupNames),
    members: new PgGroupMemberStore(session, groupNames),
    throttle: new PgAppThrottleStore(session),
    applied: new PgAppliedStateStore(session),
    policies: new PgPolicyStore(session),
    drift: new PgDriftStore(session),
    held: new PgHeldChangeStore(session),
    batch: new PgWriteBatcher(session),
  };
}
