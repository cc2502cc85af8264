// cli/webhook-commands.ts: a webhook app's deliveries: what waits or is dead-lettered, and sending it again.
import type { Command } from 'commander';
import { retryIdentity } from '../runtime/identity-client';
import type { Stores } from '../store';
import type { AppRow } from '../store/directories';
import type { WebhookDelivery } from '../store/webhook-deliveries';
import { forEachBounded } from './bounded';
import { CliError, printJson, withStores, withTemporal } from './context';
import { identitiesByName, latestTargets } from './lifecycle-commands';

async function webhookApp(stores: Stores, id: string): Promise<AppRow> {
  const app = await stores.directories.getApp(id);
  if (!app) throw new CliError(`app ${id} not found`);
  if (app.type !== 'webhook') throw new CliError(`app ${app.name} is type ${app.type}, not webhook`);
  return app;
}

/** The identities behind `--identity`: an identity id of the directory, or a userName. */
async function identitiesOf(stores: Stores, app: AppRow, identity: string): Promise<string[]> {
  const byId = await stores.resources.getAnyState(app.directoryId, identity);
  return byId?.type === 'User' ? [byId.id] : identitiesByName(stores, app.directoryId, identity);
}

/** The identity an event is about, as its body says ('' when it does not): `data` of a webhook, `scimflow` of a SET. */
const identityOf = (d: WebhookDelivery): string => {
  const body = JSON.parse(d.body) as { data?: { identityId?: unknown }; scimflow?: { identityId?: unknown } };
  const id = body.data?.identityId ?? body.scimflow?.identityId;
  return typeof id === 'string' ? id : '';
};

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description("a webhook app's deliveries");

  webhooks
    .command('list')
    .description('events sent to a webhook app, newest first, with attempts and the last failure')
    .requiredOption('--app <id>')
    .option('--pending', 'only those not acknowledged yet')
    .option('--dead', 'only the dead-lettered ones')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 100)
    .action(async (opts: { app: string; pending?: boolean; dead?: boolean; limit: number }) => {
      if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new CliError('--limit must be a positive integer');
      await withStores(async (stores) => {
        const app = await webhookApp(stores, opts.app);
        const rows = await stores.webhooks.list(app.id, {
          pending: opts.pending === true,
          dead: opts.dead === true,
          limit: opts.limit,
        });
        printJson(rows.map(({ body: _body, appId: _appId, ...row }) => row));
      });
    });

  webhooks
    .command('redeliver')
    .description("send a webhook app's dead-lettered events again (in order, then what waited behind them)")
    .requiredOption('--app <id>')
    .option('--identity <userNameOrId>', "only this identity's events")
    .action(async (opts: { app: string; identity?: string }) => {
      const { events, targets } = await withStores(async (stores) => {
        const app = await webhookApp(stores, opts.app);
        const only = opts.identity === undefined ? undefined : await identitiesOf(stores, app, opts.identity);
        const cleared = await stores.webhooks.redeliver(
          app.id,
          (d) => only === undefined || only.includes(identityOf(d)),
        );
        // Each identity the events are about converges again: what waited behind them goes out after them, in order.
        const identities = [...new Set(cleared.map(identityOf).filter((id) => id !== ''))].sort();
        return { events: cleared.length, targets: await latestTargets(stores, app.directoryId, identities) };
      });
      const retried = await withTemporal(async (client) => {
        let n = 0;
        await forEachBounded(targets, 8, async (target) => {
          await retryIdentity(client, target);
          n += 1;
        });
        return n;
      });
      printJson({ redelivered: events, identities: retried });
    });
}
