// cli/evidence-commands.ts: `scimflow audit export` and `scimflow report offboarding`: evidence for a security team.
import type { Command } from 'commander';
import { parseEffective } from '../domain/hr/effective';
import { offboardingReport } from '../hr/offboarding-report';
import type { Stores } from '../store';
import { auditRecords } from '../store';
import { CliError, printJson, withStores } from './context';

export function registerEvidenceCommands(program: Command, report: Command): void {
  program
    .command('audit')
    .description('the append-only audit trail')
    .command('export')
    .description('every access change as JSON lines (what, where, when, why), oldest first')
    .requiredOption('--directory <id>')
    .option('--since <RFC3339>', 'from this instant (Z or an offset)')
    .option('--user <userName|id>', 'one identity (a person or an NHI)')
    .option('--app <id>', 'one app')
    .action(async (opts: { directory: string; since?: string; user?: string; app?: string }) => {
      let since: string | undefined;
      try {
        since = opts.since ? parseEffective(opts.since).toISOString() : undefined;
      } catch (err) {
        throw new CliError(`--since: ${(err as Error).message}`);
      }
      await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        const identityId = opts.user ? await identityNamed(stores, opts.directory, opts.user) : undefined;
        for await (const entry of auditRecords(stores, opts.directory, {
          ...(since ? { since } : {}),
          ...(identityId ? { identityId } : {}),
          ...(opts.app ? { appId: opts.app } : {}),
        }))
          if (!process.stdout.write(`${JSON.stringify(entry)}\n`))
            await new Promise((resolve) => process.stdout.once('drain', resolve));
      });
    });

  report
    .command('offboarding')
    .description(
      'one leaver: every account, entitlement and owned NHI, when each was revoked and verified, what is open',
    )
    .requiredOption('--directory <id>')
    .requiredOption('--user <userName|id>')
    .action(async (opts: { directory: string; user: string }) => {
      await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        printJson(
          await offboardingReport(stores, opts.directory, await identityNamed(stores, opts.directory, opts.user)),
        );
      });
    });
}

/** A person by SCIM id or userName (the newest identity of that name, deleted ones too), or an NHI by id or name. */
async function identityNamed(stores: Stores, directoryId: string, name: string): Promise<string> {
  if ((await stores.resources.getAnyState(directoryId, name)) || (await stores.nhis.get(directoryId, name)))
    return name;
  const people = await stores.resources.userIdentities(directoryId, name);
  const live = people[0]; // the live one first, then the most recently deleted
  if (live) return live.id;
  const nhis = await stores.nhis.byName(directoryId, name);
  if (nhis.length === 1) return nhis[0]!.id;
  throw new CliError(`no user or NHI ${name} in directory ${directoryId}`);
}
