// store/migrations/20261202000000_applied-intents.ts: applied accounts record create intents, verification and blocks.
import type { Knex } from 'knex';

/**
 * Per-app convergence needs three more facts per (identity, app):
 * - `intent_key`: a create is recorded (state 'pending') before the app is called, so an account whose create answer
 *   was lost is still looked up, adopted or revoked later;
 * - `revocation_verified`: the app was read back and confirmed the account disabled or gone;
 * - `blocked_*`: a step that keeps failing (a revocation retried for ever, a refused grant), visible with its age
 *   (and `identity_progress.exception_since` for the identity-level exception).
 * Rows written before this migration were verified in the same run that disabled them (the old planner always ended
 * a revocation with a read-back), so disabled and deleted rows count as verified.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('applied_accounts', (t) => {
    t.text('intent_key');
    t.integer('revocation_verified').notNullable().defaultTo(0);
    t.string('blocked_kind');
    t.string('blocked_since');
    t.text('blocked_reason');
  });
  await knex.raw(`UPDATE applied_accounts SET revocation_verified = 1 WHERE state IN ('disabled', 'deleted')`);
  // An exception's age is measured from when it was first recorded, not from the last progress write.
  await knex.schema.alterTable('identity_progress', (t) => t.string('exception_since'));
  await knex.raw('UPDATE identity_progress SET exception_since = updated_at WHERE exception IS NOT NULL');
  // "Is this app account another identity's?" is asked before adopting or revoking an account found by search.
  await knex.raw('CREATE INDEX applied_accounts_remote ON applied_accounts (app_id, remote_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('identity_progress', (t) => t.dropColumn('exception_since'));
  await knex.raw('DROP INDEX IF EXISTS applied_accounts_remote');
  await knex.schema.alterTable('applied_accounts', (t) => {
    t.dropColumn('blocked_reason');
    t.dropColumn('blocked_since');
    t.dropColumn('blocked_kind');
    t.dropColumn('revocation_verified');
    t.dropColumn('intent_key');
  });
}
