// store/statements.ts: prepares each SQL text once per connection (preparing costs more than most of our queries).
import type Database from 'better-sqlite3';

export type Sql = <P extends unknown[] = unknown[], R = unknown>(text: string) => Database.Statement<P, R>;

export function statementCache(db: Database.Database): Sql {
  const cache = new Map<string, Database.Statement>();
  return <P extends unknown[] = unknown[], R = unknown>(text: string) => {
    let stmt = cache.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      cache.set(text, stmt);
    }
    return stmt as unknown as Database.Statement<P, R>;
  };
}

/** Resource types are a closed set, so they go into SQL as literals: SQLite then plans partial indexes once. */
export function typeLiteral(type: 'User' | 'Group'): string {
  if (type !== 'User' && type !== 'Group') throw new Error(`unknown resource type ${String(type)}`);
  return `'${type}'`;
}
