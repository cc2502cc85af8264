// store/migrations/20261207000000_hr-and-nhis.ts: HR events (signed deliveries, effective dates) and non-human
// identities (service accounts, API keys, agents) with their owners and credentials.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('hr_secrets', (t) => {
    t.string('id').primary();
    t.string('directory_id').notNullable();
    /** `whsec_…`, sealed like app credentials (store/secrets.ts). */
    t.text('secret_sealed').notNullable();
    t.string('created_at').notNullable();
    /** Set when a newer secret replaced it: deliveries signed with it are accepted until then (overlap). */
    t.string('retires_at');
    t.index(['directory_id']);
  });
  await knex.schema.createTable('hr_events', (t) => {
    t.string('directory_id').notNullable();
    t.string('id', 128).notNullable();
    t.string('type', 32).notNullable();
    /** SHA-256 of the canonical body: the same id with another body is a conflict, with the same one a duplicate. */
    t.string('body_hash', 64).notNullable();
    t.text('body_json').notNullable();
    t.string('match_key', 32);
    /** The match key's value, case-folded: an event awaiting its identity is applied when a user with it appears. */
    t.string('match_value', 320);
    t.string('identity_id');
    t.string('effective_at').notNullable();
    t.string('received_at').notNullable();
    /** `hr` (webhook), `cli`, `import`. */
    t.string('source', 16).notNullable();
    /** Its event in the directory's log (the order of receipt). */
    t.integer('seq');
    t.string('rescinded_at');
    t.string('rescinded_by', 128);
    /** A later termination moved the date: this one no longer counts. */
    t.string('superseded_by', 128);
    t.primary(['directory_id', 'id']);
    t.index(['directory_id', 'identity_id']);
    t.index(['directory_id', 'match_key', 'match_value']);
  });
  await knex.schema.createTable('nhis', (t) => {
    t.string('directory_id').notNullable();
    /** Also its identity id: its workflow is identity/<directory>/<id>, like a person's. */
    t.string('id').notNullable();
    t.string('name', 256).notNullable();
    /** service-account | api-key | agent */
    t.string('kind', 32).notNullable();
    t.string('owner_id');
    t.string('expires_at');
    t.string('rotate_by');
    /** Accounts it holds: app name → entitlements (its policy: an NHI is provisioned where it is declared). */
    t.text('apps_json').notNullable().defaultTo('{}');
    t.string('status', 16).notNullable();
    t.string('revoked_at');
    t.text('revoked_reason');
    /** Its log event that revoked it (the time-to-revoke record's sequence). */
    t.integer('revoked_seq');
    /** Needs a person: e.g. its owner left and there was no manager to transfer it to. */
    t.text('exception');
    /** `admin` (CLI or admin API) or `scim` (an IdP pushed it as a user). */
    t.string('source', 16).notNullable();
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
    t.primary(['directory_id', 'id']);
    t.index(['directory_id', 'owner_id']);
  });
  await knex.schema.createTable('nhi_credentials', (t) => {
    t.string('id').primary();
    t.string('directory_id').notNullable();
    t.string('nhi_id').notNullable();
    t.string('name', 256).notNullable();
    t.string('app_id');
    /** `account`: revoked by disabling or deleting the NHI's account over the app's API; `manual`: a person confirms. */
    t.string('revoke', 16).notNullable();
    /** active | open (a manual revocation waiting for its confirmation) | revoked */
    t.string('status', 16).notNullable();
    t.string('opened_at');
    t.string('revoked_at');
    t.string('confirmed_by', 256);
    t.index(['directory_id', 'nhi_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['nhi_credentials', 'nhis', 'hr_events', 'hr_secrets'])
    await knex.schema.dropTableIfExists(table);
}
