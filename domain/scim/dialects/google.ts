// domain/scim/dialects/google.ts: Google Workspace auto-provisioning through a catalog app's SCIM connector.
import type { Dialect } from './dialect';

/**
 * Google's wire format is undocumented (DIALECTS.md §4, all [U]); google-01-autoprovision-probe-create-delete.json
 * sends plain RFC bodies. No User-Agent is mapped: Google's HTTP client libraries are used by unrelated software.
 */
export const google: Dialect = {
  name: 'google',
  rewriteValue: (_target, value) => value,
};
