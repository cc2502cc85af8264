// test/helpers/fuzz-arbitraries.ts: fast-check generators of hostile SCIM input: near-valid filters, PATCH operations,
// Bulk requests and bodies, mixed with random garbage, for test/conformance/fuzz.test.ts.
import fc from 'fast-check';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const attributePaths = [
  'userName',
  'USERNAME',
  'name.givenName',
  'name',
  'emails',
  'emails.value',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[value co "@"]',
  'phoneNumbers[primary eq true].value',
  'active',
  'title',
  'displayName',
  'members',
  'members.value',
  'members[value eq "x"]',
  'groups',
  'meta.created',
  'meta.lastModified',
  'id',
  'externalId',
  `${ENT}:department`,
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  ENT,
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  'x509Certificates.value',
  'a b',
  '',
  '[',
  'emails[',
  'name..givenName',
];

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '"', '\\', '\u0000', '\ud800', '💥', 'a'.repeat(600), '2026-12-03T00:00:00Z', 'null'),
);
const compValue = fc.oneof(
  text.map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.double({ noNaN: false }).map(String),
  fc.constantFrom('true', 'false', 'null', '"unterminated', '1e309', '-0', '"\\u12"', '[]', '{}'),
);
const operator = fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Sw', 'xx', '');

const comparison = fc.oneof(
  fc.tuple(fc.constantFrom(...attributePaths), operator, compValue).map(([a, o, v]) => `${a} ${o} ${v}`),
  fc.constantFrom(...attributePaths).map((a) => `${a} pr`),
);

/** Filters near the grammar (combinations, nesting, truncation) and outright garbage. */
export const filterArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.letrec<{ f: string }>((tie) => ({
      f: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        comparison,
        fc
          .tuple(tie('f'), fc.constantFrom('and', 'or', 'AND', 'Or', 'xor'), tie('f'))
          .map(([l, o, r]) => `${l} ${o} ${r}`),
        tie('f').map((f) => `not (${f})`),
        tie('f').map((f) => `(${f})`),
        fc.tuple(fc.constantFrom('emails', 'members', 'addresses'), tie('f')).map(([a, f]) => `${a}[${f}]`),
      ),
    })).f,
  },
  { weight: 2, arbitrary: fc.tuple(comparison, fc.nat(60)).map(([f, n]) => f.slice(0, n)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.nat(300).map((n) => `${'('.repeat(n)}userName eq "a"${')'.repeat(n)}`) },
);

/** Any JSON value, or one shaped like a SCIM attribute value. */
const valueArb = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ value: text, type: fc.constantFrom('work', 'home', 'Group', 'User'), primary: fc.boolean() }),
  fc.array(fc.record({ value: text, display: fc.option(text) }), { maxLength: 4 }),
  fc.dictionary(
    fc.constantFrom('givenName', 'department', 'manager', 'value', 'active', 'nope'),
    fc.jsonValue({ maxDepth: 2 }),
  ),
);

const operationArb = fc.record(
  {
    op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'REPLACE', 'delete', 'move', ''),
    path: fc.oneof(fc.constantFrom(...attributePaths), filterArb, fc.string({ maxLength: 30 })),
    value: valueArb,
  },
  { requiredKeys: ['op'] },
);

export const patchBodyArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      schemas: fc.constantFrom(['urn:ietf:params:scim:api:messages:2.0:PatchOp'], [], ['x']),
      Operations: fc.array(operationArb, { maxLength: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const attributeKeys = fc.constantFrom(
  'userName',
  'displayName',
  'name',
  'emails',
  'active',
  'title',
  'groups',
  'members',
  'externalId',
  'password',
  'id',
  'meta',
  ENT,
  `${ENT}:department`,
  'urn:ietf:params:scim:schemas:core:2.0:User:nickName',
  'unknownAttribute',
  'schemas',
);

/** Resource bodies: a known skeleton with random attributes, or anything at all. */
export const resourceBodyArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.tuple(text, fc.dictionary(attributeKeys, valueArb, { maxKeys: 6 })).map(([userName, extra]) => ({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: `fuzz-${userName}`,
      ...extra,
    })),
  },
  { weight: 2, arbitrary: fc.dictionary(attributeKeys, valueArb, { maxKeys: 6 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

export const bulkBodyArb: fc.Arbitrary<unknown> = fc.record({
  schemas: fc.constantFrom(['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], []),
  failOnErrors: fc.option(fc.oneof(fc.nat(3), fc.string({ maxLength: 3 })), { nil: undefined }),
  Operations: fc.array(
    fc.record(
      {
        method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'post', ''),
        path: fc.constantFrom(
          '/Users',
          '/Groups',
          '/Users/bulkId:a',
          '/Groups/bulkId:b',
          '/Nope',
          'Users',
          '/Users/x/y',
        ),
        bulkId: fc.option(fc.constantFrom('a', 'b', 'c', ''), { nil: undefined }),
        version: fc.option(fc.constantFrom('W/"1"', 'x'), { nil: undefined }),
        data: fc.oneof(resourceBodyArb, patchBodyArb),
      },
      { requiredKeys: ['method'] },
    ),
    { maxLength: 6 },
  ),
});

/** Query strings: paging, sorting and projections with hostile values. */
export const listQueryArb: fc.Arbitrary<string> = fc
  .record({
    filter: fc.option(filterArb, { nil: undefined }),
    startIndex: fc.option(
      fc.oneof(fc.integer().map(String), fc.constantFrom('1e300', '-1', 'x', '9223372036854775808')),
      { nil: undefined },
    ),
    count: fc.option(fc.oneof(fc.integer().map(String), fc.constantFrom('1e300', 'NaN', '')), { nil: undefined }),
    sortBy: fc.option(fc.constantFrom(...attributePaths), { nil: undefined }),
    sortOrder: fc.option(fc.constantFrom('ascending', 'descending', 'sideways'), { nil: undefined }),
    attributes: fc.option(fc.constantFrom(...attributePaths), { nil: undefined }),
    excludedAttributes: fc.option(fc.constantFrom(...attributePaths), { nil: undefined }),
  })
  .map((q) =>
    new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined)).toString(),
  );
