// activities/connectors.ts: builds (and caches) the connector of each configured app.
import type { Connector } from '../connectors/connector';
import { createLocalAppConnector } from '../connectors/local-app';
import { createScimConnector, ScimAppConfigSchema } from '../connectors/scim-outbound';
import { withChaos, ChaosConfigSchema } from '../connectors/chaos';
import type { AppRow } from '../store/directories';
import type { Stores } from '../store';

export type ConnectorResolver = (appId: string) => { app: AppRow; connector: Connector };

export function createConnectorResolver(stores: Stores): ConnectorResolver {
  const cache = new Map<string, { app: AppRow; connector: Connector; stamp: string }>();
  return (appId) => {
    const app = stores.directories.getApp(appId);
    if (!app) throw new Error(`app ${appId} is not configured`);
    const stamp = JSON.stringify(app.config);
    const hit = cache.get(appId);
    if (hit && hit.stamp === stamp) return hit;
    let connector: Connector;
    if (app.type === 'local') connector = createLocalAppConnector(stores.db, app.id);
    else if (app.type === 'scim') connector = createScimConnector(ScimAppConfigSchema.parse(app.config));
    else throw new Error(`app ${app.name} has unknown type ${app.type}`);
    if (app.config.chaos) connector = withChaos(connector, ChaosConfigSchema.parse(app.config.chaos));
    const entry = { app, connector, stamp };
    cache.set(appId, entry);
    return entry;
  };
}
