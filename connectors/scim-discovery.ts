// connectors/scim-discovery.ts: reads an app's /ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4).
import type { ReadOptions } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import type { DiscoveryBodies, ScimCapabilities } from './scim-capabilities';
import { readCapabilities } from './scim-capabilities';
import type { ScimSend } from './scim-outbound-http';

const ENDPOINTS = {
  serviceProviderConfig: '/ServiceProviderConfig',
  resourceTypes: '/ResourceTypes',
  schemas: '/Schemas',
} as const;

/**
 * Asks the three discovery endpoints. One the app does not have (404, 501; RFC 7644 makes them mandatory, real apps
 * skip them) leaves its capabilities unknown; any other failure (network, 401, 5xx) is thrown, so that `app add`
 * says the app cannot be reached instead of connecting it blind. Asked without credentials first (most apps serve
 * discovery publicly, and an OAuth app is not asked for a token it may not need), then with them on 401/403.
 */
export async function discoverWith(send: ScimSend, options: ReadOptions = {}): Promise<ScimCapabilities> {
  const bodies: DiscoveryBodies = {};
  for (const [key, path] of Object.entries(ENDPOINTS) as [keyof typeof ENDPOINTS, string][]) {
    try {
      bodies[key] = (await send({ method: 'GET', path, signal: options.signal, anonymous: true })).body ?? null;
    } catch (err) {
      const absent =
        (err instanceof DownstreamRejectedError && err.status === 404) ||
        (err instanceof DownstreamUnavailableError && err.status === 501);
      if (!absent) throw err;
    }
  }
  return readCapabilities(bodies, new Date().toISOString());
}
