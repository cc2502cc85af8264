// domain/scim/filter/lexer.ts: splits filter and path text into tokens; never throws, never backtracks.

export type Token =
  | { kind: 'word'; text: string; pos: number } // attribute paths, operators, keywords: the parser decides which
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: '(' | ')' | '[' | ']' | '.' | 'eof'; pos: number }
  | { kind: 'error'; message: string; pos: number };

// Character codes: charCodeAt comparisons keep the scanner allocation-free.
const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const DOLLAR = 36;
const L_PAREN = 40;
const R_PAREN = 41;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const SLASH = 47;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const UPPER_A = 65;
const UPPER_E = 69;
const UPPER_Z = 90;
const L_BRACKET = 91;
const BACKSLASH = 92;
const R_BRACKET = 93;
const UNDERSCORE = 95;
const LOWER_A = 97;
const LOWER_E = 101;
const LOWER_Z = 122;

const isAlpha = (c: number) => (c >= UPPER_A && c <= UPPER_Z) || (c >= LOWER_A && c <= LOWER_Z);
const isDigit = (c: number) => c >= ZERO && c <= NINE;
// A word is an attribute path or keyword: ATTRNAME chars, plus ':' '.' '/' so that URIs stay one token.
const isWordChar = (c: number) =>
  isAlpha(c) ||
  isDigit(c) ||
  c === UNDERSCORE ||
  c === MINUS ||
  c === DOLLAR ||
  c === COLON ||
  c === DOT ||
  c === SLASH;

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export class Lexer {
  private pos = 0;

  constructor(private readonly text: string) {}

  next(): Token {
    const { text } = this;
    let c = text.charCodeAt(this.pos);
    while (c === SPACE || c === TAB || c === LF || c === CR) c = text.charCodeAt(++this.pos);
    const start = this.pos;
    if (start >= text.length) return { kind: 'eof', pos: start };
    switch (c) {
      case L_PAREN:
      case R_PAREN:
      case L_BRACKET:
      case R_BRACKET:
      case DOT:
        this.pos++;
        return { kind: text[start] as '(' | ')' | '[' | ']' | '.', pos: start };
      case QUOTE:
        return this.string(start);
    }
    if (c === MINUS || isDigit(c)) return this.number(start);
    if (isAlpha(c) || c === DOLLAR) {
      while (isWordChar(text.charCodeAt(this.pos))) this.pos++;
      return { kind: 'word', text: text.slice(start, this.pos), pos: start };
    }
    return { kind: 'error', message: `unexpected character '${text[start]}'`, pos: start };
  }

  /** A JSON string literal (RFC 7644 §3.4.2.2 compValue refers to RFC 7159 strings). */
  private string(start: number): Token {
    const { text } = this;
    let value = '';
    let chunk = start + 1;
    let i = chunk;
    for (;;) {
      const c = text.charCodeAt(i);
      if (i >= text.length) return { kind: 'error', message: 'unterminated string', pos: start };
      if (c === QUOTE) {
        this.pos = i + 1;
        return { kind: 'string', value: value + text.slice(chunk, i), pos: start };
      }
      if (c !== BACKSLASH) {
        i++;
        continue;
      }
      value += text.slice(chunk, i);
      const escape = text[i + 1] ?? '';
      if (escape === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) return { kind: 'error', message: 'invalid \\u escape in string', pos: i };
        value += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const decoded = ESCAPES[escape];
        if (decoded === undefined) return { kind: 'error', message: 'invalid escape in string', pos: i };
        value += decoded;
        i += 2;
      }
      chunk = i;
    }
  }

  /** A JSON number: -?(0|[1-9]digits)(.digits)?([eE][+-]?digits)?, scanned by hand to avoid regex backtracking. */
  private number(start: number): Token {
    const { text } = this;
    let i = start;
    const digits = () => {
      const from = i;
      while (isDigit(text.charCodeAt(i))) i++;
      return i > from;
    };
    if (text.charCodeAt(i) === MINUS) i++;
    const leadingZero = text.charCodeAt(i) === ZERO;
    let ok = digits() && !(leadingZero && i - start > (text.charCodeAt(start) === MINUS ? 2 : 1));
    if (ok && text.charCodeAt(i) === DOT && isDigit(text.charCodeAt(i + 1))) {
      i++;
      digits();
    }
    const e = text.charCodeAt(i);
    if (ok && (e === UPPER_E || e === LOWER_E)) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === PLUS || sign === MINUS) i++;
      ok = digits();
    }
    const value = Number(text.slice(start, i));
    if (!ok || isWordChar(text.charCodeAt(i)) || !Number.isFinite(value)) {
      return { kind: 'error', message: 'invalid number', pos: start };
    }
    this.pos = i;
    return { kind: 'number', value, pos: start };
  }
}

/** A token as error messages show it. */
export function describeToken(token: Token): string {
  switch (token.kind) {
    case 'word':
      return `'${token.text}'`;
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'number':
      return `number ${token.value}`;
    case 'eof':
      return 'end of input';
    case 'error':
      return token.message;
    default:
      return `'${token.kind}'`;
  }
}
