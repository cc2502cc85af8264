// api/directory-context.ts: per-request view of the authenticated directory (its schema registry, dialect, base URL).
import type { DialectName } from '../domain/scim/dialects/dialect';
import { detectDialect, DIALECTS } from '../domain/scim/dialects/dialect';
import { SchemaRegistry } from '../domain/scim/schemas/registry';
import { SchemaDefSchema } from '../domain/scim/schemas/types';
import type { DirectoryRow } from '../store/directories';

export interface DirectoryContext {
  directory: DirectoryRow;
  registry: SchemaRegistry;
  dialect: DialectName;
  baseUrl: string;
  /**
   * Every stored document was normalised under the current schemas (false once `directory set-extensions` changed or
   * dropped an attribute): only then may answers be spliced from the stored text (api/render.ts).
   */
  storedUnderCurrentSchemas: boolean;
}

const registries = new Map<string, { stamp: string; registry: SchemaRegistry }>();

/** Registries are cached per directory and rebuilt only when its custom extension schemas change. */
function registryFor(directory: DirectoryRow): SchemaRegistry {
  const extensions = directory.config.userExtensions ?? [];
  const stamp = JSON.stringify(extensions);
  const hit = registries.get(directory.id);
  if (hit && hit.stamp === stamp) return hit.registry;
  const registry = new SchemaRegistry(SchemaDefSchema.array().parse(extensions));
  registries.set(directory.id, { stamp, registry });
  return registry;
}

/** The directory's configured dialect wins; a 'generic' directory takes the dialect its client's User-Agent reveals, where that is safe. */
export function directoryContext(directory: DirectoryRow, origin: string, userAgent?: string): DirectoryContext {
  const configured = (DIALECTS as readonly string[]).includes(directory.dialect)
    ? (directory.dialect as DialectName)
    : 'generic';
  const dialect = configured === 'generic' ? (detectDialect(userAgent) ?? 'generic') : configured;
  return {
    directory,
    registry: registryFor(directory),
    dialect,
    baseUrl: `${origin}/scim/v2/${directory.id}`,
    storedUnderCurrentSchemas: directory.config.schemaNarrowedAt === undefined,
  };
}
