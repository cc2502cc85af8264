// domain/scim/dialects/okta.ts: Okta (OIN templates and App Integration Wizard apps).
import type { Dialect } from './dialect';

/**
 * Okta needs no value rewrites; its quirks are RFC-level leniency the engine applies to everyone:
 * - path-less `replace {"active": false}` (okta-07-deactivate-patch-no-path.json, okta-08-reactivate-patch.json);
 * - group rename as a path-less value carrying the unchanged read-only id (okta-10-group-push-lifecycle.json);
 * - PUT echoing id, meta and `groups: []`, plus a write-only password (okta-06, okta-09, okta-02);
 * - filtered member remove then add in one PATCH, and replace of all members (okta-11, okta-12);
 * - emails with only primary+value (okta-13-emails-without-type-and-extension-namespace.json).
 */
export const okta: Dialect = {
  name: 'okta',
  // okta-02 etc. send "Okta SCIM Client 1.0.0"; okta-05's Runscope step sends "OKTA SCIM Integration".
  userAgent: /\bokta scim\b/i,
  // okta-10/11/12 accept 200 or 204; 204 keeps a pushed group's member list out of the response.
  rewriteValue: (_target, value) => value,
};
