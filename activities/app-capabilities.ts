// activities/app-capabilities.ts: a reconcile reads the app's capabilities again; what changed is stored for `app show`.
import type { Connector } from '../connectors/connector';
import type { ScimCapabilities } from '../connectors/scim-capabilities';
import type { Stores } from '../store';
import type { AppRow } from '../store/directories';

const withoutTime = ({ discoveredAt: _at, ...rest }: ScimCapabilities) => JSON.stringify(rest);

/**
 * Re-reads what the app says it can do and stores it when it changed (the entitlement mode chosen at `app add` stays:
 * `app show` warns when the app no longer supports it). A failure is only logged: the scan itself says whether the
 * app answers. Returns one line for the progress log, or undefined when nothing is worth saying.
 */
export async function refreshCapabilities(
  stores: Stores,
  connector: Connector,
  app: AppRow,
): Promise<string | undefined> {
  if (!connector.discover) return undefined;
  try {
    const fresh = await connector.discover();
    const before = app.config.capabilities as ScimCapabilities | undefined;
    if (before && withoutTime(before) === withoutTime(fresh)) return undefined;
    await stores.directories.updateAppConfig(app.id, { ...app.config, capabilities: fresh });
    return `app ${app.name}: capabilities ${before ? 'changed' : 'read'} (see app show)`;
  } catch (err) {
    return `app ${app.name}: capabilities not read: ${(err as Error).message}`;
  }
}
