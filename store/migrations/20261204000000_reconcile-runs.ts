// store/migrations/20261204000000_reconcile-runs.ts: what each reconciliation of an app found and repaired.
import type { Knex } from 'knex';

/**
 * `reconcile_runs`: one row per reconciliation (its summary document once finished).
 * `drift_findings`: one row per finding of a run that was not a dry run (`report drift` reads these, with their ages).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('reconcile_runs', (t) => {
    t.string('id').primary();
    t.string('directory_id').notNullable();
    t.string('app_id').notNullable();
    t.integer('dry_run').notNullable();
    t.string('started_at').notNullable();
    t.string('finished_at');
    t.text('summary_json');
    t.index(['directory_id', 'app_id', 'started_at']);
  });
  await knex.schema.createTable('drift_findings', (t) => {
    t.increments('id');
    t.string('run_id').notNullable();
    t.string('directory_id').notNullable();
    t.string('app_id').notNullable();
    t.string('kind').notNullable();
    t.text('user_name').notNullable();
    t.text('remote_id');
    t.string('identity_id');
    t.string('action').notNullable();
    t.text('detail_json');
    t.string('found_at').notNullable();
    t.index(['directory_id', 'found_at']);
    t.index(['run_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('drift_findings');
  await knex.schema.dropTableIfExists('reconcile_runs');
}
