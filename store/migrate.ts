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
};

/** Static migration source: no filesystem globbing, so it works the same under tsx, compiled JS and bundlers. */
const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name]!,
};

/** Whether a database target is a PostgreSQL URL (`postgres://` or `postgresql://`) rather than a SQLite file. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(target);
}

/** Applies every pending migration to `target`: a SQLite file, or a PostgreSQL URL (the database must exist). */
export async function migrateLatest(target: string): Promise<string[]> {
  const db = isPostgresUrl(target)
    ? knex({ client: 'pg', connection: target, pool: { min: 0, max: 1 } })
    : knex({ client: 'better-sqlite3', connection: { filename: target }, useNullAsDefault: true });
  try {
    const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
    return applied;
  } finally {
    await db.destroy();
  }
}
