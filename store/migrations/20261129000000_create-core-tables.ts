// store/migrations/20261129000000_create-core-tables.ts: directories, resources, members, event log, apps, state, audit.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('directories', (t) => {
    t.string('id').primary();
    t.string('name').notNullable();
    t.string('dialect').notNullable();
    t.text('config_json').notNullable().defaultTo('{}');
    t.integer('next_seq').notNullable().defaultTo(0);
    t.string('created_at').notNullable();
  });
  await knex.schema.createTable('directory_tokens', (t) => {
    t.string('token_hash').primary();
    t.string('directory_id').notNullable().references('directories.id');
    t.string('created_at').notNullable();
    t.string('revoked_at');
    t.index(['directory_id']);
  });
  await knex.schema.createTable('resources', (t) => {
    t.string('directory_id').notNullable();
    t.string('id').notNullable();
    t.string('type').notNullable();
    t.string('user_name');
    t.string('user_name_lower');
    t.string('external_id');
    t.string('display_name_lower');
    t.integer('active').notNullable().defaultTo(1);
    t.integer('version').notNullable().defaultTo(1);
    t.text('doc').notNullable();
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
    t.string('deleted_at');
    t.string('deactivated_at');
    t.integer('deactivated_seq');
    t.primary(['directory_id', 'id']);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX resources_user_name_unique ON resources (directory_id, user_name_lower) WHERE type = 'User' AND deleted_at IS NULL`,
  );
  await knex.raw(
    `CREATE INDEX resources_display_name ON resources (directory_id, type, display_name_lower) WHERE deleted_at IS NULL`,
  );
  await knex.raw(
    `CREATE INDEX resources_external_id ON resources (directory_id, type, external_id) WHERE deleted_at IS NULL`,
  );
  await knex.raw(
    `CREATE INDEX resources_listing ON resources (directory_id, type, created_at, id) WHERE deleted_at IS NULL`,
  );
  await knex.schema.createTable('group_members', (t) => {
    t.string('directory_id').notNullable();
    t.string('group_id').notNullable();
    t.string('member_id').notNullable();
    t.string('display');
    t.primary(['directory_id', 'group_id', 'member_id']);
    t.index(['directory_id', 'member_id']);
  });
  await knex.schema.createTable('events', (t) => {
    t.string('directory_id').notNullable();
    t.integer('seq').notNullable();
    t.string('identity_id').notNullable();
    t.string('resource_type').notNullable();
    t.string('kind').notNullable();
    t.text('detail_json').notNullable().defaultTo('{}');
    t.string('created_at').notNullable();
    t.string('delivered_at');
    t.primary(['directory_id', 'seq']);
    t.index(['directory_id', 'identity_id', 'seq']);
  });
  await knex.raw(`CREATE INDEX events_undelivered ON events (created_at) WHERE delivered_at IS NULL`);
  await knex.schema.createTable('apps', (t) => {
    t.string('id').primary();
    t.string('directory_id').notNullable().references('directories.id');
    t.string('name').notNullable();
    t.string('type').notNullable();
    t.text('config_json').notNullable();
    t.string('created_at').notNullable();
    t.unique(['directory_id', 'name']);
  });
  await knex.schema.createTable('local_accounts', (t) => {
    t.string('app_id').notNullable();
    t.string('id').notNullable();
    t.string('user_name').notNullable();
    t.string('user_name_lower').notNullable();
    t.string('external_id');
    t.integer('active').notNullable();
    t.text('doc').notNullable();
    t.text('entitlements_json').notNullable().defaultTo('[]');
    t.string('created_at').notNullable();
    t.string('updated_at').notNullable();
    t.primary(['app_id', 'id']);
    t.unique(['app_id', 'user_name_lower']);
  });
  await knex.schema.createTable('applied_accounts', (t) => {
    t.string('directory_id').notNullable();
    t.string('identity_id').notNullable();
    t.string('app_id').notNullable();
    t.string('remote_id');
    t.string('state').notNullable();
    t.string('spec_hash');
    t.text('entitlements_json').notNullable().defaultTo('[]');
    t.string('updated_at').notNullable();
    t.primary(['directory_id', 'identity_id', 'app_id']);
  });
  await knex.schema.createTable('identity_progress', (t) => {
    t.string('directory_id').notNullable();
    t.string('identity_id').notNullable();
    t.integer('processed_seq').notNullable().defaultTo(0);
    t.string('lifecycle');
    t.text('exception');
    t.string('updated_at').notNullable();
    t.primary(['directory_id', 'identity_id']);
  });
  await knex.schema.createTable('revocations', (t) => {
    t.string('directory_id').notNullable();
    t.string('identity_id').notNullable();
    t.integer('seq').notNullable();
    t.string('requested_at').notNullable();
    t.string('verified_at').notNullable();
    t.integer('latency_ms').notNullable();
    t.primary(['directory_id', 'identity_id', 'seq']);
  });
  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id');
    t.string('directory_id').notNullable();
    t.string('identity_id').notNullable();
    t.string('app_id');
    t.string('action').notNullable();
    t.integer('seq');
    t.string('workflow_id');
    t.integer('attempt');
    t.text('detail_json').notNullable().defaultTo('{}');
    t.string('at').notNullable();
    t.index(['directory_id', 'identity_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_log',
    'revocations',
    'identity_progress',
    'applied_accounts',
    'local_accounts',
    'apps',
    'events',
    'group_members',
    'resources',
    'directory_tokens',
    'directories',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
