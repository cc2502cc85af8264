// domain/scim/dialects/entra.ts: Microsoft Entra ID (Azure AD) provisioning service.
import type { Dialect } from './dialect';
import { parseJsonStringRoles } from './rewrites';

/**
 * Entra quirks the engine handles for every client, because Entra is recognised only by an unverified
 * User-Agent [U S26] and a directory need not be configured as 'entra':
 * - 'Add'/'Replace'/'Remove' ops (entra-05-patch-emails-work-and-familyname.json);
 * - "False"/"True" for active (entra-06-disable-legacy-string-boolean.json) and `roles[primary eq "True"]` [D S6];
 * - path-less replace whose keys are attribute paths (entra-08-no-path-replace-dotted-keys.json);
 * - manager as a bare id at the URN path (entra-09-manager-bare-id-and-department.json) or legacy [{$ref,value}];
 * - `$ref: null` on members and `Remove members` with a value array removing only those members
 *   (entra-11-group-members-legacy-add-remove.json);
 * - client `meta`, `roles: []` and the ADSCIM group schema URI on POST (entra-02, entra-10).
 */
export const entra: Dialect = {
  name: 'entra',
  userAgent: /Microsoft Azure AD SCIM provisioning/i,
  // entra-10-group-lifecycle.json: Entra asks for 204 on group PATCH, without the member list.
  // entra-14-approle-json-string-roles.json: AppRoleAssignmentsComplex sends JSON text as the role value.
  rewriteValue: parseJsonStringRoles,
};
