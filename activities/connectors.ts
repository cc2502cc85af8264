// activities/connectors.ts: builds (and caches) the connector of each configured app.
import { Context } from '@temporalio/activity';
import type { Connector } from '../connectors/connector';
import { createLocalAppConnector } from '../connectors/local-app';
import { createScimConnector, ScimAppConfigSchema } from '../connectors/scim-outbound';
import { createWebhookConnector } from '../connectors/webhook';
import { WebhookAppConfigSchema } from '../connectors/webhook-config';
import { withChaos, ChaosConfigSchema } from '../connectors/chaos';
import { changeSource } from '../domain/apps/change-source';
import type { CallGate, GateEntry } from '../connectors/throttled';
import { withGate } from '../connectors/throttled';
import type { ShareLimits } from '../connectors/worker-share';
import { WorkerShare } from '../connectors/worker-share';
import type { AppLimits } from '../domain/apps/throttle';
import { AppLimitsSchema, spreadWait } from '../domain/apps/throttle';
import type { AppRow } from '../store/directories';
import type { Stores } from '../store';

export type ConnectorResolver = (appId: string) => Promise<{ app: AppRow; connector: Connector }>;

/** The app's gate over the shared throttle store: limits from the app's config, breaker state from the database. */
function gateOf(stores: Stores, appId: string, limits: AppLimits): CallGate {
  return {
    async enter(): Promise<GateEntry> {
      const entry = await stores.throttle.enter(appId, limits);
      return entry.ok ? { ok: true, ticket: entry.leaseId } : { ...entry, waitMs: spreadWait(entry.waitMs) };
    },
    leave: (ticket, outcome, error) => stores.throttle.leave(appId, ticket, outcome, error),
  };
}

/** Whether the calling activity is a fast (local) attempt; false outside an activity. */
function inLocalActivity(): boolean {
  try {
    return Context.current().info.isLocal;
  } catch {
    return false;
  }
}

/** `share`: how many requests one app may have in flight from this process (worker/create-worker.ts sizes it). */
export function createConnectorResolver(stores: Stores, share?: ShareLimits): ConnectorResolver {
  const workerShare = share ? new WorkerShare(share) : undefined;
  const cache = new Map<string, { app: AppRow; connector: Connector; stamp: string }>();
  return async (appId) => {
    const app = await stores.directories.getApp(appId);
    if (!app) throw new Error(`app ${appId} is not configured`);
    const stamp = JSON.stringify(app.config);
    const hit = cache.get(appId);
    if (hit && hit.stamp === stamp) return hit;
    let connector: Connector;
    if (app.type === 'local') connector = createLocalAppConnector(stores.localAccounts, app.id);
    else if (app.type === 'scim') connector = createScimConnector(ScimAppConfigSchema.parse(app.config));
    else if (app.type === 'webhook')
      connector = createWebhookConnector(
        stores.localAccounts,
        stores.webhooks,
        app,
        WebhookAppConfigSchema.parse(app.config),
        async (directoryId, seq) => {
          const event = await stores.events.at(directoryId, seq);
          return event && changeSource(event.kind, event.detail);
        },
      );
    else throw new Error(`app ${app.name} has unknown type ${app.type}`);
    if (app.config.chaos) connector = withChaos(connector, ChaosConfigSchema.parse(app.config.chaos));
    connector = withGate(connector, app.name, gateOf(stores, app.id, AppLimitsSchema.parse(app.config.limits ?? {})));
    // The in-process share first: it costs no database access, and a hanging app is refused there.
    if (workerShare) connector = withGate(connector, app.name, workerShare.gate(app.id, inLocalActivity));
    const entry = { app, connector, stamp };
    cache.set(appId, entry);
    return entry;
  };
}
