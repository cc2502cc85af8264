// cli/nhi-commands.ts: `scimflow nhi …`: service accounts, API keys and agents, with owners and credentials.
import type { Command } from 'commander';
import { addNhi, confirmCredential, describeNhi, revokeNhi, transferNhi } from '../hr/nhi-ops';
import type { EventRow } from '../store/event-log';
import type { Stores } from '../store';
import { CliError, directoryOf, printJson, withStores } from './context';
import { deliver } from './deliver';

/** `--app crm=deployer,reader` (repeatable) → { crm: ['deployer', 'reader'] }. */
function collectApps(value: string, previous: Record<string, string[]> = {}): Record<string, string[]> {
  const [name, list] = value.split('=', 2) as [string, string | undefined];
  if (!name) throw new CliError(`--app: expected NAME or NAME=ENTITLEMENT,…; got ${value}`);
  return { ...previous, [name]: list ? list.split(',').filter((e) => e !== '') : [] };
}

/** `--credential NAME` or `NAME@APP` (revoked with the account) or `NAME:manual` (repeatable). */
function collectCredentials(value: string, previous: { name: string; app?: string; revoke: string }[] = []) {
  const manual = value.endsWith(':manual');
  const text = manual ? value.slice(0, -':manual'.length) : value;
  const [name, app] = text.split('@', 2) as [string, string | undefined];
  return [...previous, { name, ...(app ? { app } : {}), revoke: app && !manual ? 'account' : 'manual' }];
}

async function deliverAll(stores: Stores, events: EventRow[]): Promise<void> {
  if (events.length === 0) return;
  const leavers = new Set(events.filter((e) => e.kind === 'nhi.revoked').map((e) => e.identityId));
  await deliver(stores, events, 4, { leavers });
}

export function registerNhiCommands(program: Command): void {
  const nhi = program.command('nhi').description('non-human identities: service accounts, API keys, agents');

  nhi
    .command('add')
    .description('a non-human identity with a human owner; its accounts are provisioned in the apps named')
    .requiredOption('--directory <id>')
    .requiredOption('--name <name>')
    .requiredOption('--owner <user>', 'the owner’s userName or SCIM id')
    .option('--kind <kind>', 'service-account | api-key | agent', 'service-account')
    .option('--app <name[=entitlements]>', 'an app it has an account in (repeatable)', collectApps)
    .option('--expires <RFC3339>', 'revoked at this instant')
    .option('--rotate-by <RFC3339>', 'flagged past this instant until rotated')
    .option(
      '--credential <name[@app][:manual]>',
      'a credential scimflow knows: @app is revoked with the app account; otherwise a person confirms (repeatable)',
      collectCredentials,
    )
    .action(
      async (opts: {
        directory: string;
        name: string;
        owner: string;
        kind: string;
        app?: Record<string, string[]>;
        expires?: string;
        rotateBy?: string;
        credential?: { name: string; app?: string; revoke: string }[];
      }) => {
        await withStores(async (stores) => {
          const dir = await directoryOf(stores, opts.directory);
          const { nhi: added, events } = await addNhi(stores, dir.id, {
            name: opts.name,
            owner: opts.owner,
            kind: opts.kind,
            apps: opts.app ?? {},
            ...(opts.expires ? { expiresAt: opts.expires } : {}),
            ...(opts.rotateBy ? { rotateBy: opts.rotateBy } : {}),
            credentials: opts.credential ?? [],
          });
          await deliverAll(stores, events);
          printJson(added);
        });
      },
    );

  nhi
    .command('list')
    .requiredOption('--directory <id>')
    .option('--owner <user>', 'only those this user owns')
    .action(async (opts: { directory: string; owner?: string }) => {
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const all = await stores.nhis.list(dir.id);
        const owner = opts.owner?.toLowerCase();
        const nhis = [];
        for (const n of all) {
          if (owner) {
            const user = n.ownerId ? await stores.resources.getAnyState(dir.id, n.ownerId) : undefined;
            if (n.ownerId !== opts.owner && (user?.doc.userName as string | undefined)?.toLowerCase() !== owner)
              continue;
          }
          nhis.push(await describeNhi(stores, n));
        }
        printJson({ nhis });
      });
    });

  nhi
    .command('transfer')
    .requiredOption('--directory <id>')
    .requiredOption('--nhi <name|id>')
    .requiredOption('--to <user>', 'the new owner’s userName or SCIM id')
    .action(async (opts: { directory: string; nhi: string; to: string }) => {
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const { nhi: moved, events } = await transferNhi(stores, dir.id, opts.nhi, opts.to);
        await deliverAll(stores, events);
        printJson(moved);
      });
    });

  nhi
    .command('revoke')
    .description('revoke it: its accounts are disabled or deleted and verified; manual credentials open a task')
    .requiredOption('--directory <id>')
    .requiredOption('--nhi <name|id>')
    .option('--reason <text>', 'why', 'revoked by an operator')
    .action(async (opts: { directory: string; nhi: string; reason: string }) => {
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        const { nhi: revoked, events } = await revokeNhi(stores, dir.id, opts.nhi, opts.reason);
        await deliverAll(stores, events);
        printJson(revoked);
      });
    });

  nhi
    .command('confirm')
    .description('a person revoked a credential no API could: close its task')
    .requiredOption('--directory <id>')
    .requiredOption('--credential <id>')
    .requiredOption('--by <who>')
    .action(async (opts: { directory: string; credential: string; by: string }) => {
      await withStores(async (stores) => {
        const dir = await directoryOf(stores, opts.directory);
        printJson(await confirmCredential(stores, dir.id, opts.credential, opts.by));
      });
    });
}
