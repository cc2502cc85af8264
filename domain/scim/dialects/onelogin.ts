// domain/scim/dialects/onelogin.ts: OneLogin "SCIM Provisioner with SAML" (admin-editable JSON templates).
import type { Dialect } from './dialect';
import { mapOneLoginManagerId } from './rewrites';

/**
 * Template-rendered bodies (onelogin-02-create-user-enterprise-template.json): the extension object is sent while
 * `schemas` lists only the core URN, `"id": null`, and `"active": "true"` as a string. The engine computes
 * `schemas`, ignores read-only input and coerces string booleans for every client.
 */
export const onelogin: Dialect = {
  name: 'onelogin',
  // DIALECTS.md §3 [R S21]: admins add `User-Agent: OneLogin SCIM` as a custom header.
  userAgent: /\bonelogin scim\b/i,
  // onelogin-04-groups-entitlements-and-membership.json accepts 200 or 204; nothing documents a preference.
  // onelogin-02: manager {managerId, displayName}; an unset manager renders as empty strings.
  rewriteValue: mapOneLoginManagerId,
};
