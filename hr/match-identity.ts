// hr/match-identity.ts: the live users of a directory an HR match key names (case-insensitive).
import type { MatchKey } from '../domain/hr/events';
import { ENTERPRISE_URN } from '../domain/hr/match';
import type { Stores } from '../store';

/**
 * userName and externalId are columns; employeeNumber and email are read from the stored documents (a scan of the
 * directory's users, about 10 ms per 10,000 in SQLite's JSON functions: HR events are few).
 */
export function findUsersBy(stores: Stores, directoryId: string, key: MatchKey, value: string): string[] {
  const live = `directory_id = ? AND type = 'User' AND deleted_at IS NULL`;
  const sql = {
    userName: `SELECT id FROM resources WHERE ${live} AND user_name_lower = ?`,
    externalId: `SELECT id FROM resources WHERE ${live} AND lower(external_id) = ?`,
    employeeNumber: `SELECT id FROM resources WHERE ${live}
      AND lower(trim(json_extract(doc, '$."${ENTERPRISE_URN}".employeeNumber'))) = ?`,
    email: `SELECT id FROM resources WHERE ${live} AND EXISTS (
      SELECT 1 FROM json_each(resources.doc, '$.emails') WHERE lower(trim(json_extract(value, '$.value'))) = ?)`,
  }[key];
  return (stores.db.prepare(`${sql} ORDER BY created_at, id LIMIT 6`).all(directoryId, value) as { id: string }[]).map(
    (r) => r.id,
  );
}
