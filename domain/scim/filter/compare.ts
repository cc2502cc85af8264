// domain/scim/filter/compare.ts: one comparison (eq, co, gt…) against one attribute value, by attribute type.
import { ScimError } from '../errors';
import type { JsonValue } from '../json';
import type { AttributeDef } from '../schemas/types';
import type { CompareOp } from './ast';

export type ValueTest = (value: JsonValue) => boolean;
type Ordering = (a: number | string, b: number | string) => boolean;

const ORDERINGS: Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', Ordering> = {
  eq: (a, b) => a === b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
};

const SUBSTRING: Record<'co' | 'sw' | 'ew', (a: string, b: string) => boolean> = {
  co: (a, b) => a.includes(b),
  sw: (a, b) => a.startsWith(b),
  ew: (a, b) => a.endsWith(b),
};

/**
 * Builds the test for `<attr> <op> <literal>` once per filter, so evaluating many resources repeats no parsing.
 * `ne` is not handled here: the caller negates `eq` over all values. Type errors are invalidFilter (RFC 7644
 * §3.4.2.2: gt/ge/lt/le on booleans or binary "SHALL" fail) and surface even when no resource has the attribute.
 */
export function valueTest(
  def: AttributeDef,
  op: Exclude<CompareOp, 'ne'>,
  literal: string | number | boolean,
  label: string,
): ValueTest {
  const invalid = (why: string): never => {
    throw new ScimError(400, 'invalidFilter', `'${label}' ${op} ${JSON.stringify(literal)}: ${why}`);
  };
  switch (def.type) {
    case 'boolean': {
      if (op !== 'eq') invalid('a boolean attribute supports only eq, ne and pr');
      // IdPs send "True"/"False" as strings (Entra roles[primary eq "True"]); stored values may be strings too.
      const wanted = toBoolean(literal) ?? invalid('the value must be true or false');
      return (value) => toBoolean(value) === wanted;
    }
    case 'integer':
    case 'decimal': {
      if (op === 'co' || op === 'sw' || op === 'ew')
        invalid('a numeric attribute supports only eq, ne, gt, ge, lt, le and pr');
      const wanted = toNumber(literal) ?? invalid('the value must be a number');
      const ordering = ORDERINGS[op as keyof typeof ORDERINGS];
      return (value) => {
        const n = toNumber(value);
        return n !== undefined && ordering(n, wanted);
      };
    }
    case 'dateTime': {
      if (op === 'co' || op === 'sw' || op === 'ew') return stringTest(op, String(literal), true);
      // Instants, not strings: "2011-05-13T04:42:34Z" and "2011-05-13T06:42:34+02:00" are equal.
      const wanted = typeof literal === 'string' ? Date.parse(literal) : NaN;
      if (Number.isNaN(wanted)) invalid('the value must be an RFC 3339 date-time string');
      const ordering = ORDERINGS[op];
      return (value) => typeof value === 'string' && ordering(Date.parse(value), wanted);
    }
    case 'binary':
      if (op !== 'eq') invalid('a binary attribute supports only eq, ne and pr');
      return stringTest(op, String(literal), true);
    case 'complex':
      return invalid('a complex attribute has no value to compare; name a sub-attribute');
    default:
      return stringTest(op, String(literal), def.caseExact);
  }
}

function stringTest(op: Exclude<CompareOp, 'ne'>, literal: string, caseExact: boolean): ValueTest {
  const wanted = caseExact ? literal : literal.toLowerCase();
  const test = op === 'co' || op === 'sw' || op === 'ew' ? SUBSTRING[op] : ORDERINGS[op];
  return (value) => {
    if (typeof value !== 'string' && typeof value !== 'number') return false;
    const text = String(value);
    return test(caseExact ? text : text.toLowerCase(), wanted);
  };
}

function toBoolean(value: JsonValue): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

function toNumber(value: JsonValue): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
