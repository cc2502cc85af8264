// domain/scim/dialects/jumpcloud.ts: JumpCloud's Custom SCIM Identity Management connector.
import type { Dialect } from './dialect';

/**
 * JumpCloud reportedly removes members Entra-style, with a value array and no filter [R S34, U]; the engine
 * treats that form as "remove only these" for every client (jumpcloud-02-adopt-existing-group-by-name.json covers
 * the add and rename it sends). The User-Agent pattern is the vendor name, not a captured header.
 */
export const jumpcloud: Dialect = {
  name: 'jumpcloud',
  userAgent: /\bjumpcloud\b/i,
  rewriteValue: (_target, value) => value,
};
