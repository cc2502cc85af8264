// store/migrations/20261203000000_app-throttle.ts: per-app admission state every worker shares.
import type { Knex } from 'knex';

/**
 * `app_throttle`: one row per app once it needs one: its token bucket (rate limit) and circuit breaker.
 * `app_leases`: requests in flight per app (concurrency limit); a lease left by a crashed worker expires.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('app_throttle', (t) => {
    t.string('app_id').primary();
    t.float('tokens');
    t.bigInteger('refilled_at');
    t.string('breaker_json');
  });
  await knex.schema.createTable('app_leases', (t) => {
    t.string('id').primary();
    t.string('app_id').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['app_id', 'expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('app_leases');
  await knex.schema.dropTableIfExists('app_throttle');
}
