// store/migrations/20261129000400_resource-group-ids.ts: each resource row carries the ids of the groups it is in.
import type { Knex } from 'knex';
import type { Dialect } from '../dialect';
import { dialectOf, sqlNowIso } from '../dialect';

/** The member's sorted group ids as a JSON array, recomputed from the covering member index (its pages are hot). */
const groupIdsOf = (dialect: Dialect, dir: string, member: string) =>
  dialect === 'postgres'
    ? `(SELECT COALESCE(json_agg(m.group_id ORDER BY m.group_id)::text, '[]') FROM group_members m
        WHERE m.directory_id = ${dir} AND m.member_id = ${member})`
    : `(SELECT json_group_array(m.group_id ORDER BY m.group_id) FROM group_members m
        WHERE m.directory_id = ${dir} AND m.member_id = ${member})`;

/** The statement both triggers run for the member row `row` (NEW or OLD). */
const refreshMember = (dialect: Dialect, row: string) =>
  `UPDATE resources SET group_ids = ${groupIdsOf(dialect, `${row}.directory_id`, `${row}.member_id`)},
     version = version + 1, updated_at = ${sqlNowIso(dialect)}
   WHERE directory_id = ${row}.directory_id AND id = ${row}.member_id AND deleted_at IS NULL`;

/**
 * Rendering a user needs its groups. Reading them from group_members costs a probe of a random index leaf per
 * request (a fifth of a filtered read at 100,000 users); the row being rendered carries them instead. Triggers keep
 * the column in step with group_members in the same transaction as every membership change, whoever writes it (an
 * older scimflow process still running during an upgrade, or an operator's SQL), and bump the member's version and
 * lastModified: its rendered `groups` changed, so must its ETag (this replaces a second UPDATE per member).
 */
export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex);
  await knex.raw('ALTER TABLE resources ADD COLUMN group_ids text');
  await knex.raw(
    `UPDATE resources SET group_ids = ${groupIdsOf(dialect, 'resources.directory_id', 'resources.id')}
     WHERE deleted_at IS NULL`,
  );
  if (dialect === 'postgres') {
    // PostgreSQL triggers call a function; one serves both, picking the row by the operation.
    await knex.raw(
      `CREATE FUNCTION group_members_group_ids() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN ${refreshMember(dialect, 'OLD')}; ELSE ${refreshMember(dialect, 'NEW')}; END IF;
         RETURN NULL;
       END $$`,
    );
    for (const event of ['INSERT', 'DELETE'])
      await knex.raw(
        `CREATE TRIGGER group_members_${event.toLowerCase()}_group_ids AFTER ${event} ON group_members
         FOR EACH ROW EXECUTE FUNCTION group_members_group_ids()`,
      );
    return;
  }
  for (const [event, row] of [
    ['INSERT', 'NEW'],
    ['DELETE', 'OLD'],
  ] as const) {
    await knex.raw(
      `CREATE TRIGGER group_members_${event.toLowerCase()}_group_ids AFTER ${event} ON group_members BEGIN
         ${refreshMember(dialect, row)};
       END`,
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  const on = dialectOf(knex) === 'postgres' ? ' ON group_members' : '';
  await knex.raw(`DROP TRIGGER IF EXISTS group_members_insert_group_ids${on}`);
  await knex.raw(`DROP TRIGGER IF EXISTS group_members_delete_group_ids${on}`);
  if (dialectOf(knex) === 'postgres') await knex.raw('DROP FUNCTION IF EXISTS group_members_group_ids()');
  await knex.raw('ALTER TABLE resources DROP COLUMN group_ids');
}
