// domain/scim/filter/index-hint.ts: spots the `<indexed attr> eq "<value>"` conjunct the store can look up directly.
import { URN } from '../schemas/urns';
import type { FilterNode } from './ast';

export type IndexedAttribute = 'id' | 'userName' | 'externalId' | 'displayName';

export interface IndexHint {
  attribute: IndexedAttribute;
  /**
   * The literal as written. id and externalId are caseExact; userName and displayName are not (RFC 7643 §4), so
   * the store must look those up case-insensitively. Unless `exact`, candidates must still go through matchesFilter.
   */
  value: string;
  /**
   * The filter is nothing but this comparison, unqualified: the store's lookup (exact for id and externalId,
   * lower-cased for userName and displayName, the same folding as the evaluator's caseIgnore) then answers it
   * exactly and candidates need no further check.
   */
  exact: boolean;
}

const INDEXED = new Map<string, IndexedAttribute>([
  ['id', 'id'],
  ['username', 'userName'],
  ['externalid', 'externalId'],
  ['displayname', 'displayName'],
]);
// Most selective first, when several conjuncts qualify.
const PRIORITY: IndexedAttribute[] = ['id', 'userName', 'externalId', 'displayName'];
const CORE_URIS = new Set([URN.User.toLowerCase(), URN.Group.toLowerCase()]);

/**
 * A hint when the filter, or a conjunct of its top-level `and` chain, is `<attr> eq "<string>"` on one of the
 * indexed attributes (optionally core-URN-qualified). Never under `or`/`not`: a hint must narrow, not widen.
 */
export function indexHint(filter: FilterNode): IndexHint | undefined {
  let best: IndexHint | undefined;
  const stack = [filter];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.kind === 'logical') {
      if (node.op === 'and') stack.push(node.right, node.left);
      continue;
    }
    if (node.kind !== 'compare' || node.op !== 'eq' || typeof node.value !== 'string') continue;
    const { uri, attr, sub } = node.path;
    if (sub !== undefined || (uri !== undefined && !CORE_URIS.has(uri.toLowerCase()))) continue;
    const attribute = INDEXED.get(attr.toLowerCase());
    if (attribute && (!best || PRIORITY.indexOf(attribute) < PRIORITY.indexOf(best.attribute))) {
      best = { attribute, value: node.value, exact: node === filter && uri === undefined };
    }
  }
  return best;
}
