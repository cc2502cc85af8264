// store/env.ts: the database keys every process (API, worker, CLI) shares.
import path from 'node:path';
import { z } from 'zod';

export const DatabaseEnv = z.object({
  DATA_DIR: z.string().min(1).default('./.data'),
  SQLITE_FILE: z.string().min(1).optional(),
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
});

export interface DatabaseConfig {
  dataDir: string;
  file: string;
  synchronous: 'NORMAL' | 'FULL';
}

export function toDatabaseConfig(env: z.output<typeof DatabaseEnv>): DatabaseConfig {
  const dataDir = path.resolve(env.DATA_DIR);
  return {
    dataDir,
    file: path.resolve(env.SQLITE_FILE ?? path.join(dataDir, 'scimflow.sqlite')),
    synchronous: env.SQLITE_SYNCHRONOUS,
  };
}

/** A configuration problem the operator must fix; printed without a stack. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Pure: lists every invalid key at once. An empty variable counts as unset (`TEMPORAL_ADDRESS= npm start`). */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  env: Record<string, string | undefined>,
  what: string,
): z.output<T> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid ${what} configuration:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export function loadDatabaseConfig(env: Record<string, string | undefined> = process.env): DatabaseConfig {
  return Object.freeze(toDatabaseConfig(parseEnv(DatabaseEnv, env, 'database')));
}
