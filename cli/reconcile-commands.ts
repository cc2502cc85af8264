// cli/reconcile-commands.ts: `scimflow reconcile --app ID [--dry-run]` and `scimflow report drift --directory ID`.
import type { Command } from 'commander';
import { createConnectorResolver } from '../activities/connectors';
import type { ReconcileReport } from '../activities/reconcile-app';
import { reconcileApp } from '../activities/reconcile-app';
import type { Stores } from '../store';
import { parseReconcileEvery, reconcileScheduleId, setReconcileSchedule } from '../runtime/reconcile-schedule';
import { deliver } from './deliver';
import { CliError, printJson, withStores, withTemporal } from './context';

export interface ScheduleOutcome {
  scheduleId: string;
  /** The interval, or 'off'. */
  every: string;
  /** Set when Temporal could not be reached: run `app update --reconcile-every` again once it can. */
  error?: string;
}

/** Creates, changes or removes an app's reconcile schedule (`every` = '6h', … or 'off'). */
export async function applyReconcileSchedule(appId: string, every: string): Promise<ScheduleOutcome> {
  const outcome = { scheduleId: reconcileScheduleId(appId), every };
  try {
    await withTemporal((client) => setReconcileSchedule(client, appId, parseReconcileEvery(every)));
    return outcome;
  } catch (err) {
    return { ...outcome, error: `schedule not changed: ${(err as Error).message}` };
  }
}

/** The flag's value checked before anything is written (a CLI usage error, exit 1). */
export function checkReconcileEvery(text: string): string {
  try {
    parseReconcileEvery(text);
    return text;
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** One reconcile of an app from the CLI: repairs delivered leavers first, progress on stderr. */
export async function runReconcile(
  stores: Stores,
  appId: string,
  opts: { dryRun: boolean; timeout?: number; pageSize?: number; approvedOrphans?: number },
): Promise<ReconcileReport> {
  const { connector } = await createConnectorResolver(stores)(appId);
  return reconcileApp(stores, connector, {
    appId,
    dryRun: opts.dryRun,
    pageSize: opts.pageSize ?? 100,
    verifyTimeoutMs: (opts.timeout ?? 300) * 1000,
    ...(opts.approvedOrphans !== undefined ? { approvedOrphans: opts.approvedOrphans } : {}),
    deliver: async (events, leavers) => {
      await deliver(stores, events, 8, { force: true, leavers });
    },
    progress: (line) => process.stderr.write(`${line}\n`),
  });
}

export function registerReconcileCommands(program: Command, report: Command): void {
  program
    .command('reconcile')
    .description("read an app's accounts and entitlements, diff them against desired state, repair and verify")
    .requiredOption('--app <id>')
    .option('--dry-run', 'report what would be repaired; write nothing anywhere')
    .option('--timeout <seconds>', 'how long to wait for the repairs to be verified', (v) => Number(v), 300)
    .option('--page-size <n>', 'accounts asked per page', (v) => Number(v), 100)
    .action(async (opts: { app: string; dryRun?: boolean; timeout: number; pageSize: number }) => {
      if (!Number.isFinite(opts.timeout) || opts.timeout <= 0)
        throw new CliError('--timeout must be a positive number of seconds');
      if (!Number.isInteger(opts.pageSize) || opts.pageSize < 1 || opts.pageSize > 1000)
        throw new CliError('--page-size must be an integer from 1 to 1000');
      await withStores(async (stores) => {
        if (!(await stores.directories.getApp(opts.app))) throw new CliError(`app ${opts.app} not found`);
        printJson(await runReconcile(stores, opts.app, { dryRun: opts.dryRun === true, ...opts }));
      });
    });

  report
    .command('drift')
    .description("what each app's latest reconcile found and repaired, with ages")
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        printJson({
          findings: await stores.drift.latest(opts.directory),
          runs: await stores.drift.runs(opts.directory, 10),
        });
      });
    });
}
