// domain/scim/filter/parse.ts: recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar.
import { ScimError } from '../errors';
import type { AttrPath, CompareOp, CompareValue, FilterNode } from './ast';
import { COMPARE_OPS } from './ast';
import { describeToken, Lexer } from './lexer';
import type { Token } from './lexer';

export const MAX_FILTER_LENGTH = 10_000;
export const MAX_FILTER_DEPTH = 64;

const OPS = new Set<string>(COMPARE_OPS);
const ATTR_NAME = /^[A-Za-z$][A-Za-z0-9_$-]*$/; // RFC 7643 §2.1 ATTRNAME, plus '$' for "$ref"

/** Parses filter text (already URL-decoded by the HTTP layer). Errors are ScimError 400 invalidFilter. */
export function parseFilter(text: string): FilterNode {
  const parser = new FilterParser(text, 'invalidFilter');
  const filter = parser.filter(0);
  parser.expectEnd();
  return filter;
}

/**
 * Shared by filters and PATCH paths. `errorType` is switchable because RFC 7644 §3.12 reports a bad filter inside
 * a PATCH path as invalidFilter while the rest of the path is invalidPath.
 */
export class FilterParser {
  private readonly lexer: Lexer;
  private readonly ahead: Token[] = [];

  constructor(
    text: string,
    public errorType: 'invalidFilter' | 'invalidPath',
  ) {
    if (text.length > MAX_FILTER_LENGTH) this.fail(`longer than ${MAX_FILTER_LENGTH} characters`, MAX_FILTER_LENGTH);
    this.lexer = new Lexer(text);
  }

  fail(message: string, pos: number): never {
    throw new ScimError(400, this.errorType, `${message} at position ${pos}`);
  }

  peek(offset = 0): Token {
    while (this.ahead.length <= offset) this.ahead.push(this.lexer.next());
    const token = this.ahead[offset]!;
    if (token.kind === 'error') this.fail(token.message, token.pos);
    return token;
  }

  next(): Token {
    const token = this.peek();
    this.ahead.shift();
    return token;
  }

  expect(kind: ']' | ')', what: string): void {
    const token = this.next();
    if (token.kind !== kind) this.fail(`expected '${kind}' ${what}, found ${describeToken(token)}`, token.pos);
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'eof') this.fail(`unexpected ${describeToken(token)}`, token.pos);
  }

  /** FILTER: or-expressions of and-expressions of unary expressions (precedence not > and > or). */
  filter(depth: number, inValuePath = false): FilterNode {
    let left = this.conjunction(depth, inValuePath);
    while (this.keyword('or')) {
      this.next();
      left = { kind: 'logical', op: 'or', left, right: this.conjunction(depth, inValuePath) };
    }
    return left;
  }

  private conjunction(depth: number, inValuePath: boolean): FilterNode {
    let left = this.unary(depth, inValuePath);
    while (this.keyword('and')) {
      this.next();
      left = { kind: 'logical', op: 'and', left, right: this.unary(depth, inValuePath) };
    }
    return left;
  }

  private unary(depth: number, inValuePath: boolean): FilterNode {
    const token = this.peek();
    if (depth >= MAX_FILTER_DEPTH) this.fail(`nested deeper than ${MAX_FILTER_DEPTH} levels`, token.pos);
    if (token.kind === '(') {
      this.next();
      const inner = this.filter(depth + 1, inValuePath);
      this.expect(')', `to close the '(' at position ${token.pos}`);
      return inner;
    }
    if (token.kind !== 'word')
      this.fail(`expected an attribute path, 'not' or '(', found ${describeToken(token)}`, token.pos);
    if (this.isNot()) {
      this.next();
      return { kind: 'not', filter: this.unary(depth + 1, inValuePath) };
    }
    return this.attributeExpression(depth, inValuePath);
  }

  /**
   * RFC 7644 writes `not (…)`; a bare `not attr eq "x"` is accepted too. `not` stays an attribute name when an
   * operator follows it.
   */
  private isNot(): boolean {
    if (!this.keyword('not')) return false;
    const after = this.peek(1);
    if (after.kind === '(') return true;
    if (after.kind !== 'word') return false;
    const word = after.text.toLowerCase();
    return !OPS.has(word) && word !== 'pr' && word !== 'and' && word !== 'or';
  }

  private attributeExpression(depth: number, inValuePath: boolean): FilterNode {
    const pathToken = this.next() as Extract<Token, { kind: 'word' }>;
    const path = this.attrPath(pathToken);
    const bracket = this.peek();
    if (bracket.kind === '[') {
      if (inValuePath) this.fail('a value filter cannot contain another value filter', bracket.pos);
      if (path.sub !== undefined)
        this.fail(`a value filter needs a multi-valued attribute, not '${pathToken.text}'`, bracket.pos);
      this.next();
      const inner = this.filter(depth + 1, true);
      this.expect(']', `to close the '[' at position ${bracket.pos}`);
      if (this.peek().kind !== '.') return { kind: 'valuePath', path, filter: inner };
      // Entra: `emails[type eq "work"].value eq "x"` means one element matching both conditions.
      this.next();
      const sub = this.subAttribute();
      return {
        kind: 'valuePath',
        path,
        filter: { kind: 'logical', op: 'and', left: inner, right: this.comparison(sub) },
      };
    }
    return this.comparison(path);
  }

  private comparison(path: AttrPath): FilterNode {
    const opToken = this.next();
    if (opToken.kind !== 'word') this.fail(`expected an operator, found ${describeToken(opToken)}`, opToken.pos);
    const op = opToken.text.toLowerCase(); // PingOne sends `Eq`; operators are case-insensitive (§3.4.2.2)
    if (op === 'pr') return { kind: 'present', path };
    if (!OPS.has(op)) this.fail(`unknown operator '${opToken.text}'`, opToken.pos);
    return { kind: 'compare', op: op as CompareOp, path, value: this.compareValue(op) };
  }

  private compareValue(op: string): CompareValue {
    const token = this.next();
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
    }
    return this.fail(`expected a value after '${op}' (a quoted string, number, true, false or null)`, token.pos);
  }

  /** `[URI ":"] ATTRNAME ["." subAttr]`: the URI is everything before the last ':' (URNs contain ':' and '.'). */
  attrPath(token: Extract<Token, { kind: 'word' }>): AttrPath {
    const { text, pos } = token;
    const colon = text.lastIndexOf(':');
    const rest = text.slice(colon + 1);
    const dot = rest.indexOf('.');
    const attr = dot < 0 ? rest : rest.slice(0, dot);
    const sub = dot < 0 ? undefined : rest.slice(dot + 1);
    if (colon === 0 || !ATTR_NAME.test(attr) || (sub !== undefined && !ATTR_NAME.test(sub))) {
      this.fail(`invalid attribute path '${text}'`, pos);
    }
    const path: AttrPath = colon > 0 ? { uri: text.slice(0, colon), attr } : { attr };
    if (sub !== undefined) path.sub = sub;
    return path;
  }

  /** The sub-attribute after `attr[…].`, a bare ATTRNAME. */
  subAttribute(): AttrPath {
    const token = this.next();
    if (token.kind !== 'word' || !ATTR_NAME.test(token.text)) {
      this.fail(`expected a sub-attribute name after '.', found ${describeToken(token)}`, token.pos);
    }
    return { attr: token.text };
  }

  private keyword(word: 'and' | 'or' | 'not'): boolean {
    const token = this.peek();
    return token.kind === 'word' && token.text.length === word.length && token.text.toLowerCase() === word;
  }
}
