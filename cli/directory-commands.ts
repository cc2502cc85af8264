// cli/directory-commands.ts: `scimflow directory …` and `scimflow app …`.
import fs from 'node:fs';
import type { Command } from 'commander';
import YAML from 'yaml';
import { onlyAddsTo } from '../domain/scim/schemas/extension-change';
import { SchemaRegistry } from '../domain/scim/schemas/registry';
import { SchemaDefSchema } from '../domain/scim/schemas/types';
import { Option } from 'commander';
import { DIALECTS } from '../domain/scim/dialects/dialect';
import { loadApiConfig } from '../api/config';
import { CliError, printJson, withStores } from './context';

/** The API's base URL as clients reach it (PUBLIC_URL, else the listen address). */
export function publicBaseUrl(): string {
  const config = loadApiConfig();
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  return config.http.publicUrl ?? `http://${host}:${config.http.port}`;
}

export function registerDirectoryCommands(program: Command): void {
  const directory = program.command('directory').description('IdP connections (one per enterprise customer)');
  directory
    .command('create')
    .description('create a directory; prints its SCIM base URL and bearer token (shown once)')
    .requiredOption('--name <name>', 'display name, e.g. the customer')
    .addOption(new Option('--idp <dialect>', 'the IdP that will push to it').choices([...DIALECTS]).default('generic'))
    .action(async (opts: { name: string; idp: string }) => {
      await withStores(async (stores) => {
        const { directory: dir, token } = await stores.directories.create({ name: opts.name, dialect: opts.idp });
        printJson({
          id: dir.id,
          name: dir.name,
          idp: dir.dialect,
          scimBaseUrl: `${publicBaseUrl()}/scim/v2/${dir.id}`,
          token,
        });
      });
    });
  directory
    .command('list')
    .description('list directories')
    .action(async () => {
      await withStores(async (stores) =>
        printJson(
          (await stores.directories.list()).map((d) => ({
            id: d.id,
            name: d.name,
            idp: d.dialect,
            createdAt: d.createdAt,
          })),
        ),
      );
    });
  directory
    .command('rotate-token')
    .description('issue a new bearer token; old tokens keep working until --revoke-others')
    .requiredOption('--directory <id>')
    .option('--revoke-others', 'revoke every other token of the directory now')
    .action(async (opts: { directory: string; revokeOthers?: boolean }) => {
      await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        const token = await stores.directories.rotateToken(opts.directory);
        const revoked = opts.revokeOthers ? await stores.directories.revokeOtherTokens(opts.directory, token) : 0;
        printJson({ id: opts.directory, token, revokedTokens: revoked });
      });
    });

  directory
    .command('revoke-old-tokens')
    .description('revoke every token of the directory except the newest (after the IdP uses the rotated one)')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        printJson({ id: opts.directory, revokedTokens: await stores.directories.revokeAllButNewest(opts.directory) });
      });
    });
  directory
    .command('set-extensions')
    .description('declare custom User extension schemas (RFC 7643 schema definitions, YAML or JSON list)')
    .requiredOption('--directory <id>')
    .requiredOption('--file <path>')
    .action(async (opts: { directory: string; file: string }) => {
      const extensions = SchemaDefSchema.array().parse(YAML.parse(fs.readFileSync(opts.file, 'utf8')));
      new SchemaRegistry(extensions); // rejects clashes with the built-in schemas before anything is stored
      await withStores(async (stores) => {
        const dir = await stores.directories.get(opts.directory);
        if (!dir) throw new CliError(`directory ${opts.directory} not found`);
        const before = SchemaDefSchema.array().parse(dir.config.userExtensions ?? []);
        // Stored users may now hold attributes the schemas no longer define or return: see DirectoryContext.
        const narrowedAt = onlyAddsTo(before, extensions) ? dir.config.schemaNarrowedAt : new Date().toISOString();
        await stores.directories.updateConfig(dir.id, {
          ...dir.config,
          userExtensions: extensions,
          schemaNarrowedAt: narrowedAt,
        });
        printJson({ id: dir.id, userExtensions: extensions.map((e) => e.id), schemaNarrowedAt: narrowedAt ?? null });
      });
    });
}
