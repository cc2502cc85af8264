// domain/scim/dialects/generic.ts: any client not attributed to a known IdP (RFC 7644 plus every safe rewrite).
import type { Dialect } from './dialect';
import { mapOneLoginManagerId, parseJsonStringRoles } from './rewrites';

/**
 * Entra's and OneLogin's requests usually cannot be recognised (no verified User-Agent; OneLogin's is an optional
 * custom header), so an unattributed client gets their rewrites too: both trigger only on shapes no RFC client
 * sends (a role whose value is JSON text, a `managerId` key).
 */
export const generic: Dialect = {
  name: 'generic',
  // RFC 7644 §3.5.2 allows either; 200 is what clients that ignore dialects expect to parse.
  rewriteValue: (target, value) => mapOneLoginManagerId(target, parseJsonStringRoles(target, value)),
};
