// store/db.ts: opens the SQLite file (migrated) as one better-sqlite3 handle with the pragmas we rely on.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DatabaseConfig } from './env';
import { DEFAULT_CACHE_MB, DEFAULT_MMAP_MB } from './env';
import { migrateLatest } from './migrate';

export type Db = Database.Database;

export async function openDatabase(
  config: Pick<DatabaseConfig, 'file' | 'synchronous' | 'cacheMb' | 'mmapMb'>,
): Promise<Db> {
  // It holds app credentials (sealed, with their key file beside them) and every identity: owner-only, from creation.
  fs.mkdirSync(path.dirname(config.file), { recursive: true, mode: 0o700 });
  fs.closeSync(fs.openSync(config.file, 'a', 0o600));
  // Files from before this rule (or a umask that widened them) are narrowed; SQLite gives -wal/-shm the file's mode.
  for (const file of [config.file, `${config.file}-wal`, `${config.file}-shm`])
    if (fs.existsSync(file) && (fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  await migrateLatest(config.file);
  const db = new Database(config.file);
  // WAL lets the API, the worker and the CLI (separate processes) read while one writes.
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${config.synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`cache_size = ${-1024 * (config.cacheMb ?? DEFAULT_CACHE_MB)}`);
  db.pragma(`mmap_size = ${1024 * 1024 * (config.mmapMb ?? DEFAULT_MMAP_MB)}`);
  return db;
}

export function nowIso(): string {
  return new Date().toISOString();
}
