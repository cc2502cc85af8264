// store/migrate.ts: applies the knex migrations (knex owns the schema; see docs/architecture.md).
import knex from 'knex';
import type { Knex } from 'knex';
import * as createCoreTables from './migrations/20261129000000_create-core-tables';
import * as addPolicies from './migrations/20261129000100_add-policies';
import * as indexDeletedUserNames from './migrations/20261129000200_index-deleted-user-names';
import * as coverMemberIndex from './migrations/20261129000300_cover-member-index';
import * as resourceGroupIds from './migrations/20261129000400_resource-group-ids';
import * as appliedIntents from './migrations/20261202000000_applied-intents';
import * as appThrottle from './migrations/20261203000000_app-throttle';
import * as reconcileRuns from './migrations/20261204000000_reconcile-runs';
import * as heldChanges from './migrations/20261205000000_held-changes';
import * as memberType from './migrations/20261206000000_member-type';
import * as hrAndNhis from './migrations/20261207000000_hr-and-nhis';
import * as unconfirmedGrants from './migrations/20261208000000_unconfirmed-grants';
import * as webhookDeliveries from './migrations/20261209000000_webhook-deliveries';
import * as webhookChangeSeq from './migrations/20261210000000_webhook-change-seq';
import * as postgresColumnTypes from './migrations/20261211000000_postgres-column-types';
import * as postgresSqliteParity from './migrations/20261212000000_postgres-sqlite-parity';
import * as relayClaims from './migrations/20261213000000_relay-claims';
import { isPostgresUrl } from './env';

export { isPostgresUrl };

/** How long a start waits for PostgreSQL to accept a connection. */
export const CONNECT_TIMEOUT_MS = 10_000;

const MIGRATIONS: Record<string, Knex.Migration> = {
  '20261129000000_create-core-tables': createCoreTables,
  '20261129000100_add-policies': addPolicies,
  '20261129000200_index-deleted-user-names': indexDeletedUserNames,
  '20261129000300_cover-member-index': coverMemberIndex,
  '20261129000400_resource-group-ids': resourceGroupIds,
  '20261202000000_applied-intents': appliedIntents,
  '20261203000000_app-throttle': appThrottle,
  '20261204000000_reconcile-runs': reconcileRuns,
  '20261205000000_held-changes': heldChanges,
  '20261206000000_member-type': memberType,
  '20261207000000_hr-and-nhis': hrAndNhis,
  '20261208000000_unconfirmed-grants': unconfirmedGrants,
  '20261209000000_webhook-deliveries': webhookDeliveries,
  '20261210000000_webhook-change-seq': webhookChangeSeq,
  '20261211000000_postgres-column-types': postgresColumnTypes,
  '20261212000000_postgres-sqlite-parity': postgresSqliteParity,
  '20261213000000_relay-claims': relayClaims,
};

/** Static migration source: no filesystem globbing, so it works the same under tsx, compiled JS and bundlers. */
const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name]!,
};

/** Applies every pending migration to `target`: a SQLite file, or a PostgreSQL URL (the database must exist). */
export async function migrateLatest(target: string): Promise<string[]> {
  const db = isPostgresUrl(target)
    ? knex({
        client: 'pg',
        // An unreachable server fails the start within 10 s instead of waiting on the OS's TCP timeout.
        connection: { connectionString: target, connectionTimeoutMillis: CONNECT_TIMEOUT_MS },
        acquireConnectionTimeout: CONNECT_TIMEOUT_MS,
        pool: { min: 0, max: 1 },
      })
    : knex({ client: 'better-sqlite3', connection: { filename: target }, useNullAsDefault: true });
  try {
    // Every process migrates at start (several on several hosts at once, on PostgreSQL): knex lets one hold its lock
    // table and refuses the others, which wait for it to finish and then find nothing left to do.
    for (const deadline = Date.now() + MIGRATION_LOCK_WAIT_MS; ;) {
      try {
        const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
        return applied;
      } catch (err) {
        if ((err as Error).name !== 'MigrationLocked' || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await db.destroy();
  }
}

/** How long a process waits for another one's migrations before it gives up. */
const MIGRATION_LOCK_WAIT_MS = 120_000;
