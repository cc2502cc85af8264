// cli/app-discovery.ts: `app add`/`app update` read a SCIM app's capabilities and adapt to them, or refuse clearly.
import type { EntitlementMode, ScimCapabilities } from '../connectors/scim-capabilities';
import {
  ENTITLEMENT_MODES,
  ScimCapabilitiesSchema,
  adaptTo,
  searchModeOf,
  writeModeOf,
} from '../connectors/scim-capabilities';
import type { ScimAppConfig } from '../connectors/scim-outbound';
import { createScimConnector } from '../connectors/scim-outbound';
import { CliError } from './context';

export const ENTITLEMENT_CHOICES = ['auto', ...ENTITLEMENT_MODES] as const;

/**
 * Reads the app's /ServiceProviderConfig, /ResourceTypes and /Schemas and decides how to talk to it. An app that cannot
 * be reached (network, 401, 5xx) is not connected blind: the operator fixes the URL or token, or says --skip-discovery.
 */
export async function discoverApp(
  config: ScimAppConfig,
  requested: EntitlementMode | 'auto',
  skip: boolean,
): Promise<{ entitlementMode: EntitlementMode; capabilities?: ScimCapabilities; notes: string[] }> {
  let capabilities: ScimCapabilities | undefined;
  if (!skip) {
    try {
      capabilities = await createScimConnector({ ...config, capabilities: undefined }).discover!();
    } catch (err) {
      throw new CliError(
        `cannot read the app's capabilities at ${config.url}: ${(err as Error).message}; check --url and the credentials, ` +
          'or connect it anyway with --skip-discovery',
      );
    }
  }
  const adapted = adaptTo(capabilities, requested);
  if ('refused' in adapted) throw new CliError(adapted.refused);
  const notes = skip ? ['discovery skipped: filters and PATCH are assumed', ...adapted.notes] : adapted.notes;
  return { entitlementMode: adapted.entitlementMode, ...(capabilities ? { capabilities } : {}), notes };
}

/** What `app show` says about a SCIM app's capabilities and how scimflow talks to it. */
export function describeCapabilities(config: Record<string, unknown>) {
  const parsed = ScimCapabilitiesSchema.safeParse(config.capabilities);
  const capabilities = parsed.success ? parsed.data : undefined;
  const mode = ENTITLEMENT_MODES.find((m) => m === config.entitlementMode) ?? 'groups';
  // Against the mode in use: a newer discovery that no longer supports it shows as a warning here.
  const adapted = adaptTo(capabilities, mode);
  return {
    discovered: capabilities ?? null,
    talksBy: { entitlements: mode, search: searchModeOf(capabilities), writes: writeModeOf(capabilities) },
    notes: 'refused' in adapted ? [`warning: ${adapted.refused}`] : adapted.notes,
  };
}
