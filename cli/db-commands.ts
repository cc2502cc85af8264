// cli/db-commands.ts: `scimflow db copy --to postgres://…`: moves the SQLite store to PostgreSQL.
import fs from 'node:fs';
import type { Command } from 'commander';
import { CopyRefusedError, copyToPostgres } from '../store/copy';
import { openDatabase } from '../store/db';
import { isPostgresUrl, loadDatabaseConfig, redactUrl } from '../store/env';
import { CliError, printJson, withStores } from './context';

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description("scimflow's own database");
  db.command('migrate')
    .description('create or upgrade the database: the SQLite file under DATA_DIR, or DATABASE_URL')
    .action(async () => {
      await withStores(() => printJson({ migrated: true }));
    });
  db.command('copy')
    .description(
      'copy the SQLite store (DATA_DIR or SQLITE_FILE) into an existing, empty PostgreSQL database; then point every process at it with DATABASE_URL',
    )
    .requiredOption('--to <url>', 'postgres:// or postgresql:// URL of the target database')
    .action(async (opts: { to: string }) => {
      if (!isPostgresUrl(opts.to))
        throw new CliError(`--to ${redactUrl(opts.to)}: expected a postgres:// or postgresql:// URL`);
      // The source is always the SQLite file, whatever DATABASE_URL says.
      const config = loadDatabaseConfig({ ...process.env, DATABASE_URL: undefined });
      if (!fs.existsSync(config.file))
        throw new CliError(`no SQLite store at ${config.file} (set DATA_DIR or SQLITE_FILE)`);
      const source = await openDatabase(config);
      try {
        const report = await copyToPostgres(source, opts.to);
        printJson({
          from: config.file,
          to: redactUrl(opts.to),
          ...report,
          next: 'set DATABASE_URL to the target for every process (api, worker, CLI), with the same SCIMFLOW_SECRET_KEYS or the key file of DATA_DIR',
        });
      } catch (err) {
        if (err instanceof CopyRefusedError) throw new CliError(err.message);
        throw new CliError(`copy to ${redactUrl(opts.to)} failed, nothing was written: ${(err as Error).message}`);
      } finally {
        source.close();
      }
    });
}
