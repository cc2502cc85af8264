// test/unit/domain/scim/filter-parse.test.ts: the RFC 7644 §3.4.2.2 grammar, IdP spellings and parser robustness.
import { expect } from 'chai';
import fc from 'fast-check';
import { ScimError } from '../../../../domain/scim/errors';
import type { CompareValue, FilterNode } from '../../../../domain/scim/filter/ast';
import { parseFilter } from '../../../../domain/scim/filter/parse';
import { URN } from '../../../../domain/scim/schemas/urns';
import { loadCorpus, queryParam } from './corpus';
import { RFC_EXAMPLES } from './sample-resources';

const eq = (attr: string, value: CompareValue): FilterNode => ({
  kind: 'compare',
  op: 'eq',
  path: { attr },
  value,
});

function parseError(text: string): ScimError {
  try {
    parseFilter(text);
  } catch (err) {
    if (err instanceof ScimError) return err;
    throw err;
  }
  throw new Error(`parsed: ${text}`);
}

describe('parseFilter', () => {
  it('parses every example filter of RFC 7644 §3.4.2.2', () => {
    for (const text of RFC_EXAMPLES) expect(() => parseFilter(text), text).not.to.throw();
  });

  it('builds the tree of an RFC example with not, parentheses and a multi-valued sub-attribute', () => {
    expect(parseFilter(RFC_EXAMPLES[13]!)).to.deep.equal({
      kind: 'logical',
      op: 'and',
      left: { kind: 'compare', op: 'ne', path: { attr: 'userType' }, value: 'Employee' },
      right: {
        kind: 'not',
        filter: {
          kind: 'logical',
          op: 'or',
          left: { kind: 'compare', op: 'co', path: { attr: 'emails' }, value: 'example.com' },
          right: { kind: 'compare', op: 'co', path: { attr: 'emails', sub: 'value' }, value: 'example.org' },
        },
      },
    });
  });

  it('builds a value path whose inner paths are relative to the element', () => {
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).to.deep.equal({
      kind: 'valuePath',
      path: { attr: 'emails' },
      filter: {
        kind: 'logical',
        op: 'and',
        left: { kind: 'compare', op: 'eq', path: { attr: 'type' }, value: 'work' },
        right: { kind: 'compare', op: 'co', path: { attr: 'value' }, value: '@example.com' },
      },
    });
  });

  it('reads Entra\'s emails[type eq "work"].value eq "…" as one element matching both conditions', () => {
    expect(parseFilter('emails[type eq "work"].value eq "a@b.c"')).to.deep.equal({
      kind: 'valuePath',
      path: { attr: 'emails' },
      filter: { kind: 'logical', op: 'and', left: eq('type', 'work'), right: eq('value', 'a@b.c') },
    });
  });

  it('splits URN-qualified paths at the last colon, keeping the sub-attribute', () => {
    expect(parseFilter(`${URN.EnterpriseUser}:manager.value eq "u9"`)).to.deep.equal({
      kind: 'compare',
      op: 'eq',
      path: { uri: URN.EnterpriseUser, attr: 'manager', sub: 'value' },
      value: 'u9',
    });
    expect(parseFilter(`${URN.EnterpriseUser}:employeeNumber pr`)).to.deep.equal({
      kind: 'present',
      path: { uri: URN.EnterpriseUser, attr: 'employeeNumber' },
    });
  });

  it('binds not tighter than and, and and tighter than or', () => {
    expect(parseFilter('a pr or b pr and not (c pr)')).to.deep.equal({
      kind: 'logical',
      op: 'or',
      left: { kind: 'present', path: { attr: 'a' } },
      right: {
        kind: 'logical',
        op: 'and',
        left: { kind: 'present', path: { attr: 'b' } },
        right: { kind: 'not', filter: { kind: 'present', path: { attr: 'c' } } },
      },
    });
    expect(parseFilter('(a pr or b pr) and c pr')).to.deep.include({ kind: 'logical', op: 'and' });
  });

  it('accepts operators, logical keywords and literals in any case (PingOne sends Eq)', () => {
    expect(parseFilter('username Eq "x"')).to.deep.equal(eq('username', 'x'));
    expect(parseFilter('a EQ TRUE AND b Ne Null OR NOT (c PR)')).to.deep.equal({
      kind: 'logical',
      op: 'or',
      left: {
        kind: 'logical',
        op: 'and',
        left: eq('a', true),
        right: { kind: 'compare', op: 'ne', path: { attr: 'b' }, value: null },
      },
      right: { kind: 'not', filter: { kind: 'present', path: { attr: 'c' } } },
    });
  });

  it('decodes JSON string escapes and JSON numbers', () => {
    expect(parseFilter('a eq "q\\"uote \\\\ \\u00e9\\n\\/"')).to.deep.equal(eq('a', 'q"uote \\ é\n/'));
    expect(parseFilter('a eq -12.5e2')).to.deep.equal(eq('a', -1250));
    expect(parseFilter('a eq 0')).to.deep.equal(eq('a', 0));
    expect(parseFilter('a eq ""')).to.deep.equal(eq('a', ''));
  });

  it('accepts $ref and hyphenated names, extra whitespace, and a bare not before an expression', () => {
    expect(parseFilter('members.$ref  pr')).to.deep.equal({ kind: 'present', path: { attr: 'members', sub: '$ref' } });
    expect(parseFilter('\tx-y_z eq  "v" ')).to.deep.equal(eq('x-y_z', 'v'));
    expect(parseFilter('not userName eq "x"')).to.deep.equal({ kind: 'not', filter: eq('userName', 'x') });
  });

  it('reports malformed filters as invalidFilter with the 0-based position', () => {
    const cases: [string, RegExp][] = [
      ['userName eq', /after 'eq'.* at position 11$/],
      ['userName eq "unterminated', /unterminated string at position 12$/],
      ['userName xx "a"', /unknown operator 'xx' at position 9$/],
      ['userName eq bjensen', /at position 12$/],
      ['(userName eq "a"', /expected '\)'.* at position 16$/],
      ['userName eq "a")', /unexpected '\)' at position 15$/],
      ['emails[type eq "work"', /expected '\]'.* at position 21$/],
      ['emails[type eq "a" and x[y eq "b"]]', /another value filter at position 24$/],
      ['name.givenName[x eq "y"]', /at position 14$/],
      ['userName eq "a" and', /at position 19$/],
      ['a eq 01', /invalid number at position 5$/],
      ['a eq "\\x"', /invalid escape in string at position 6$/],
      ['a.b.c eq "x"', /invalid attribute path 'a.b.c' at position 0$/],
      ['a eq "x" # comment', /unexpected character '#' at position 9$/],
      ['', /at position 0$/],
    ];
    for (const [text, message] of cases) {
      const error = parseError(text);
      expect(error.status, text).to.equal(400);
      expect(error.scimType, text).to.equal('invalidFilter');
      expect(error.message, text).to.match(message);
    }
  });

  it('rejects filters longer than 10,000 characters and nesting deeper than 64 levels', () => {
    expect(parseError(`userName eq "${'a'.repeat(10_000)}"`).message).to.match(/longer than 10000 characters/);
    expect(parseError(`${'('.repeat(65)}a pr${')'.repeat(65)}`).message).to.match(
      /deeper than 64 levels at position 64$/,
    );
    expect(parseError(`${'not '.repeat(70)}(a pr)`).scimType).to.equal('invalidFilter');
    expect(() => parseFilter(`${'('.repeat(60)}a pr${')'.repeat(60)}`)).not.to.throw();
  });

  it('parses a maximal 10,000-character filter quickly (no backtracking)', () => {
    const long = Array.from({ length: 600 }, (_, i) => `a${i} eq "v"`)
      .join(' and ')
      .slice(0, 9_990);
    const text = long.slice(0, long.lastIndexOf(' and '));
    const started = Date.now();
    const tree = parseFilter(text);
    expect(tree).to.deep.include({ kind: 'logical', op: 'and' });
    expect(Date.now() - started).to.be.below(200);
  });

  it('either parses or throws invalidFilter for arbitrary input, never anything else', () => {
    // prettier-ignore
    const fragments = fc.constantFrom(
      'userName', 'eq', 'Eq', 'pr', 'and', 'or', 'not', '(', ')', '[', ']', '.', '"x"', '"', '\\', '1', '-', 'true',
      'null', 'emails', 'value', `${URN.EnterpriseUser}:manager`, ':', ' ', '  ', 'é', '\u0000', '$ref',
    );
    const inputs = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(fragments, { maxLength: 30 }).map((parts) => parts.join(' ')),
    );
    fc.assert(
      fc.property(inputs, (text) => {
        try {
          parseFilter(text);
        } catch (err) {
          expect(err).to.be.instanceOf(ScimError);
          expect(err).to.include({ status: 400, scimType: 'invalidFilter' });
          expect((err as Error).message).to.match(/at position \d+$/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  describe('IdP corpus', () => {
    const steps = loadCorpus().flatMap((scenario) =>
      scenario.steps
        .map((step, index) => ({ scenario, step, index, filter: queryParam(step.request.path, 'filter') }))
        .filter(({ filter, step }) => filter !== undefined && step.request.method === 'GET'),
    );

    it('finds the recorded filter requests', () => {
      expect(steps.length).to.be.greaterThan(10);
    });

    it('parses every filter an IdP sends and rejects the ones the corpus expects a 400 for', () => {
      for (const { scenario, index, step, filter } of steps) {
        const label = `${scenario.file} step ${index + 1}: ${filter}`;
        if (step.expect.status === 400) {
          expect(parseError(filter!).scimType, label).to.equal('invalidFilter');
        } else {
          expect(() => parseFilter(filter!), label).not.to.throw();
        }
      }
    });
  });
});
