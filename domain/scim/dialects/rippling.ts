// domain/scim/dialects/rippling.ts: Rippling custom apps with "User Management via SCIM".
import type { Dialect } from './dialect';

/**
 * Rippling adapts its requests to the features the admin ticks (DIALECTS.md §7, [U]); no wire captures exist, so
 * it is a generic RFC client (rippling-01-discovery-create-deactivate.json). The User-Agent pattern is the vendor
 * name, not a captured header.
 */
export const rippling: Dialect = {
  name: 'rippling',
  userAgent: /\brippling\b/i,
  rewriteValue: (_target, value) => value,
};
