// cli/approve-command.ts: `scimflow approve --change ID` lets a change the mass-change guard held go ahead, once.
import type { Command } from 'commander';
import { changePolicy } from '../api/policy-change';
import { parsePolicy } from '../domain/policy/policy';
import { CliError, printJson, withStores } from './context';
import { deliver } from './deliver';
import { runReconcile } from './reconcile-commands';

export function registerApproveCommand(program: Command, report: Command): void {
  program
    .command('approve')
    .description(
      'let a change held by an app’s mass-change guard go ahead (a policy version, or a reconcile’s orphans)',
    )
    .requiredOption('--change <id>', 'the held change, as the refusal printed it (also in `report held`)')
    .option(
      '--timeout <seconds>',
      'a reconcile: how long to wait for the repairs to be verified',
      (v) => Number(v),
      300,
    )
    .action(async (opts: { change: string; timeout: number }) => {
      if (!Number.isFinite(opts.timeout) || opts.timeout <= 0)
        throw new CliError('--timeout must be a positive number of seconds');
      await withStores(async (stores) => {
        const held = await stores.held.get(opts.change);
        if (!held) throw new CliError(`no held change ${opts.change}`);
        if (held.approvedAt) throw new CliError(`change ${held.id} was approved already, at ${held.approvedAt}`);
        if (!(await stores.directories.getApp(held.appId)))
          throw new CliError(`change ${held.id} concerns app ${held.appId}, which was removed since`);
        await stores.held.approve(held.id);
        const approved = { change: held.id, kind: held.kind, reason: held.reason, approved: true };
        if (held.kind === 'policy') {
          // The policy as it was submitted; the guard stays on for every other app (approved: this one change).
          const { events, ...change } = await changePolicy(
            stores,
            held.directoryId,
            parsePolicy(held.payload),
            false,
            true,
          );
          const signalled = events.length > 0 ? await deliver(stores, events, 8) : 0;
          printJson({ ...approved, ...change, signalled });
          return;
        }
        // A reconcile's orphans: the app is reconciled again now, acting on up to as many orphans as were approved.
        const report = await runReconcile(stores, held.appId, {
          dryRun: false,
          timeout: opts.timeout,
          approvedOrphans: held.affected,
        });
        printJson({ ...approved, reconcile: report });
      });
    });

  report
    .command('held')
    .description('changes an app’s mass-change guard is holding for approval')
    .requiredOption('--directory <id>')
    .action(async (opts: { directory: string }) => {
      await withStores(async (stores) => {
        if (!(await stores.directories.get(opts.directory)))
          throw new CliError(`directory ${opts.directory} not found`);
        printJson({
          held: (await stores.held.pending(opts.directory)).map(({ payload: _payload, ...change }) => change),
        });
      });
    });
}
