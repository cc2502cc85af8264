// testkit/limited-scim-app-filter.ts: the one filter form the limited app understands, `<attribute> eq <value>`.
import { ScimHttpError } from './limited-scim-app-http';
import type { ScimRequest } from './limited-scim-app-routes';

export interface EqFilter {
  /** As written in the filter; attribute names are case-insensitive (RFC 7643 §2.1). */
  attribute: string;
  value: string | boolean;
}

// A bare ATTRNAME (RFC 7644 §3.10): no sub-attribute, no value path, no schema URN prefix.
const EQ = /^\s*([A-Za-z][\w-]*)\s+eq\s+(.+?)\s*$/i;

/** Everything past the single top-level comparison is refused, as many real apps do, with 400 invalidFilter. */
export function parseEqFilter(filter: string): EqFilter {
  const match = EQ.exec(filter);
  if (!match) throw unsupported(filter);
  const [, attribute = '', literal = ''] = match;
  if (literal === 'true' || literal === 'false') return { attribute, value: literal === 'true' };
  if (!literal.startsWith('"')) throw unsupported(filter);
  let value: unknown;
  try {
    value = JSON.parse(literal); // RFC 7644 §3.10 compValue strings are JSON strings, escapes included
  } catch {
    throw unsupported(filter); // e.g. `"a" and active eq true`, which is no JSON string
  }
  if (typeof value !== 'string') throw unsupported(filter);
  return { attribute, value };
}

/** userName is case-insensitive (RFC 7643 §4.1.1, caseExact false); this app compares everything else exactly. */
export function matchesEq(resource: Record<string, unknown>, filter: EqFilter): boolean {
  const key = Object.keys(resource).find((name) => name.toLowerCase() === filter.attribute.toLowerCase());
  if (key === undefined) return false;
  const actual = resource[key];
  if (typeof filter.value === 'boolean' || typeof actual !== 'string') return actual === filter.value;
  if (key === 'userName') return actual.toLowerCase() === filter.value.toLowerCase();
  return actual === filter.value;
}

function unsupported(filter: string): ScimHttpError {
  return new ScimHttpError(
    400,
    'invalidFilter',
    `Unsupported filter '${filter}': this app understands only <attribute> eq "<value>" on top-level attributes`,
  );
}

/** The request's `eq` filter, if any; an app that cannot filter refuses one (as such apps do, with 400). */
export function filterOf(request: ScimRequest): EqFilter | undefined {
  const filter = request.query.get('filter');
  if (filter === null) return undefined;
  if (!request.state.dialect.filter)
    throw new ScimHttpError(400, 'invalidFilter', 'This app does not support filtering');
  return parseEqFilter(filter);
}
