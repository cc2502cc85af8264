// domain/scim/attribute-path.ts: PATCH paths (RFC 7644 §3.5.2) and plain attribute paths (sortBy, attributes=).
import type { AttrPath, FilterNode } from './filter/ast';
import { FilterParser } from './filter/parse';

/** `attrPath`, or `attrPath "[" valFilter "]" ["." subAttr]` (RFC 7644 §3.5.2 PATH). */
export interface PatchPath {
  path: AttrPath;
  valueFilter?: FilterNode;
  /** The sub-attribute after the brackets: `emails[type eq "work"].value` → 'value' (as written). */
  subAttr?: string;
}

/**
 * Parses a PATCH "path". A malformed path is ScimError 400 invalidPath; a malformed filter inside the brackets
 * is invalidFilter, which is how RFC 7644 §3.12 classifies path filters.
 */
export function parsePatchPath(text: string): PatchPath {
  const parser: FilterParser = new FilterParser(text, 'invalidPath');
  const first = parser.next();
  if (first.kind !== 'word') parser.fail('expected an attribute path', first.pos);
  const result: PatchPath = { path: parser.attrPath(first) };
  const bracket = parser.peek();
  if (bracket.kind === '[') {
    if (result.path.sub !== undefined) parser.fail(`'[' must follow an attribute, not the sub-attribute`, bracket.pos);
    parser.next();
    parser.errorType = 'invalidFilter';
    result.valueFilter = parser.filter(1, true);
    parser.errorType = 'invalidPath';
    parser.expect(']', `to close the '[' at position ${bracket.pos}`);
    if (parser.peek().kind === '.') {
      parser.next();
      result.subAttr = parser.subAttribute().attr;
    }
  }
  parser.expectEnd();
  return result;
}

/** Parses `[URI ":"] ATTRNAME ["." subAttr]` as used by sortBy, attributes and excludedAttributes. */
export function parseAttributePath(text: string): AttrPath {
  const parser: FilterParser = new FilterParser(text, 'invalidPath');
  const token = parser.next();
  if (token.kind !== 'word') parser.fail('expected an attribute path', token.pos);
  const path = parser.attrPath(token);
  parser.expectEnd();
  return path;
}
