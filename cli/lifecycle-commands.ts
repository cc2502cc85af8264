// cli/lifecycle-commands.ts: policy, plan (dry run), events list/replay, resync, retry, lag, revocations, audit.
import fs from 'node:fs';
import type { Command } from 'commander';
import YAML from 'yaml';
import { loadDesired } from '../store/desired-state';
import { classifyChange, isEmptyPlan, planApps } from '../domain/planner/plan';
import { parsePolicy } from '../domain/policy/policy';
import { changePolicy } from '../api/policy-change';
import { retryIdentity, signalIdentity } from '../runtime/identity-client';
import type { Stores } from '../store';
import { CliError, printJson, withStores, withTemporal } from './context';
import { forEachBounded } from './bounded';
import { deliver } from './deliver';

async function userByName(stores: Stores, directoryId: string, userName: string) {
  const [user] = await stores.resources.findBy(directoryId, 'User', 'userName', userName);
  if (!user) throw new CliError(`no user ${userName} in directory ${directoryId}`);
  return user;
}

/**
 * The identities a `--user` names: the live user, or, when there is none, every deleted identity of that userName (a
 * deleted user's offboarding can still need a retry or a replay).
 */
export async function identitiesByName(stores: Stores, directoryId: string, userName: string): Promise<string[]> {
  const all = await stores.resources.userIdentities(directoryId, userName);
  const live = all.filter((i) => i.deletedAt === null);
  const chosen = live.length > 0 ? live : all;
  if (chosen.length === 0) throw new CliError(`no user ${userName} in directory ${directoryId}`);
  return chosen.map((i) => i.id);
}

/** Each identity with its latest log sequence: what a re-drive converges it to. */
export async function latestTargets(
  stores: Stores,
  directoryId: string,
  identityIds: Iterable<string>,
): Promise<{ directoryId: string; identityId: string; seq: number }[]> {
  const targets = [];
  for (const identityId of identityIds)
    targets.push({ directoryId, identityId, seq: await stores.events.latestSeqFor(directoryId, identityId) });
  return targets;
}

/** Signals identities with bounded concurrency (`force` re-converges even already-seen sequences). */
async function redrive(
  targets: { directoryId: string; identityId: string; seq: number }[],
  concurrency: number,
): Promise<number> {
  return withTemporal(async (client) => {
    await forEachBounded(targets, concurrency, (target) => signalIdentity(client, { ...target, force: true }));
    return targets.length;
  });
}

/** Registers the lifecycle commands; returns the `report` group for other modules' reports. */
export function registerLifecycleCommands(program: Command): Command {
  const policy = program.command('policy').description('entitlement policy of a directory (versioned)');
  policy
    .command('set')
    .description('store a new policy version and converge the identities it changes (--dry-run: only say which)')
    .requiredOption('--directory <id>')
    .requiredOption('--file <path>', 'YAML or JSON policy file')
    .option('--dry-run', 'show how many identities gain or lose what; change nothing')
    .option('--concurrency <n>', 'signals in flight while converging the affected identities', (v) => Number(v), 8)
    .action(async (opts: { directory: string; file: string; dryRun?: boolean; concurrency: number }) => {
      if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
        throw new CliError('--concurrency must be a positive integer');
      let text: string;
      try {
        text = fs.readFileSync(opts.file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${opts.file}: ${(err as Error).message}`);
      }
      const parsed = parsePolicy(YAML.parse(text));
      const report = await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        const { events, ...change } = await changePolicy(stores, opts.directory, parsed, opts.dryRun ?? false);
        // The mass-change guard held it: nothing stored; the operator reviews (--dry-run) and approves.
        if (change.held && !change.dryRun) throw new CliError(`policy not changed: ${change.held.reason}`);
        return { ...change, signalled: events.length > 0 ? await deliver(stores, events, opts.concurrency) : 0 };
      });
      printJson(report);
    });

  policy
    .command('show')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) =>
        printJson((await stores.policies.latest(opts.directory)) ?? { version: 0, policy: null }),
      );
    });

  program
    .command('plan')
    .description('dry run: what converging this identity would change now, app by app (changes nothing)')
    .requiredOption('--directory <id>')
    .requiredOption('--user <userName>')
    .action(async (opts: { directory: string; user: string }) => {
      await withStores(async (stores) => {
        const user = await userByName(stores, opts.directory, opts.user);
        const { state: desired } = await loadDesired(stores, opts.directory, user.id);
        const applied = await stores.applied.list(opts.directory, user.id);
        const apps = planApps(desired, applied);
        printJson({
          identityId: user.id,
          userName: user.doc.userName,
          status: desired.status,
          label: classifyChange(desired, apps),
          apps: apps.filter((plan) => !isEmptyPlan(plan)),
          desired: desired.apps,
          applied,
        });
      });
    });

  const events = program.command('events').description('the ordered event log');
  events
    .command('list')
    .requiredOption('--directory <id>')
    .option('--from-seq <n>', 'first sequence', (v) => Number(v), 0)
    .option('--user <userName>')
    .option('--limit <n>', 'rows', (v) => Number(v), 100)
    .action(async (opts: { directory: string; fromSeq: number; user?: string; limit: number }) => {
      await withStores(async (stores) => {
        const identityId = opts.user ? (await userByName(stores, opts.directory, opts.user)).id : undefined;
        printJson(await stores.events.list(opts.directory, { fromSeq: opts.fromSeq, identityId, limit: opts.limit }));
      });
    });
  events
    .command('replay')
    .description('re-drive the identities touched by events from a sequence on (they converge on current state)')
    .requiredOption('--directory <id>')
    .option('--from-seq <n>', 'first sequence', (v) => Number(v), 0)
    .option('--user <userName>')
    .option('--concurrency <n>', 'signals in flight', (v) => Number(v), 20)
    .action(async (opts: { directory: string; fromSeq: number; user?: string; concurrency: number }) => {
      const targets = await withStores(async (stores) => {
        const identityIds = opts.user ? await identitiesByName(stores, opts.directory, opts.user) : [undefined];
        const latest = new Map<string, number>();
        for (const identityId of identityIds)
          for (let from = opts.fromSeq; ;) {
            const page = await stores.events.list(opts.directory, { fromSeq: from, identityId, limit: 5000 });
            for (const e of page) if (e.resourceType === 'User') latest.set(e.identityId, e.seq);
            if (page.length < 5000) break;
            from = page[page.length - 1]!.seq + 1;
          }
        return [...latest].map(([id, seq]) => ({ directoryId: opts.directory, identityId: id, seq }));
      });
      printJson({ replayed: await redrive(targets, opts.concurrency) });
    });

  program
    .command('resync')
    .description("re-converge every identity of a directory (the IdP's 'restart provisioning')")
    .requiredOption('--directory <id>')
    .option('--concurrency <n>', 'signals in flight', (v) => Number(v), 20)
    .action(async (opts: { directory: string; concurrency: number }) => {
      const targets = await withStores(async (stores) =>
        latestTargets(stores, opts.directory, await stores.resources.userIds(opts.directory)),
      );
      printJson({ resynced: await redrive(targets, opts.concurrency) });
    });

  program
    .command('retry')
    .description('retry identities held in exception or blocked, or whose workflow stopped (failed, terminated)')
    .requiredOption('--directory <id>')
    .option('--user <userName>', 'a live user, or else every deleted identity of that userName')
    .option('--all', 'every identity `report exceptions` lists (exclusive with --user)')
    .option('--concurrency <n>', 'retries in flight with --all', (v) => Number(v), 8)
    .action(async (opts: { directory: string; user?: string; all?: boolean; concurrency: number }) => {
      if (opts.all && opts.user) throw new CliError('--all and --user are exclusive: give one');
      if (!opts.all && !opts.user) throw new CliError('say which identities: --user <userName> or --all');
      if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1)
        throw new CliError('--concurrency must be a positive integer');
      const targets = await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        const ids = opts.user
          ? await identitiesByName(stores, opts.directory, opts.user)
          : (await stores.applied.exceptions(opts.directory)).map((e) => e.identityId);
        return latestTargets(stores, opts.directory, ids);
      });
      const outcomes = await withTemporal(async (client) => {
        const done: ({ identityId: string } & Awaited<ReturnType<typeof retryIdentity>>)[] = [];
        await forEachBounded(targets, opts.concurrency, async (target) => {
          done.push({ identityId: target.identityId, ...(await retryIdentity(client, target)) });
        });
        return done.sort((a, b) => (a.identityId < b.identityId ? -1 : 1));
      });
      if (opts.all) printJson({ retried: outcomes.length, identities: outcomes });
      else printJson(outcomes.length === 1 ? outcomes[0] : { identities: outcomes });
    });

  const report = program.command('report').description('operator views');
  report
    .command('lag')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) => printJson(await stores.applied.lag(opts.directory)));
    });
  report
    .command('exceptions')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) => printJson(await stores.applied.exceptions(opts.directory)));
    });
  report
    .command('revocations')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) => printJson(await stores.applied.revocations(opts.directory)));
    });
  report
    .command('audit')
    .requiredOption('--directory <id>')
    .option('--user <userName>')
    .action(async (opts: { directory: string; user?: string }) => {
      await withStores(async (stores) => {
        const id = opts.user ? (await userByName(stores, opts.directory, opts.user)).id : undefined;
        printJson(await stores.applied.auditTrail(opts.directory, id));
      });
    });
  return report;
}
