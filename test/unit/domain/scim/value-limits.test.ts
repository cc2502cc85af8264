// test/unit/domain/scim/value-limits.test.ts: string size limits on written documents, and the pass for stored values.
import { expect } from 'chai';
import { ScimError } from '../../../../domain/scim/errors';
import type { JsonObject } from '../../../../domain/scim/json';
import { URN } from '../../../../domain/scim/schemas/urns';
import type { ResourceTypeName } from '../../../../domain/scim/schemas/types';
import { assertValueSizes, IDENTIFIER_MAX_LENGTH, VALUE_MAX_LENGTH } from '../../../../domain/scim/value-limits';

const ENT = URN.EnterpriseUser;
const CUSTOM = 'urn:acme:params:scim:schemas:extension:acme:2.0:User';
const ID = IDENTIFIER_MAX_LENGTH;
const MAX = VALUE_MAX_LENGTH;
const text = (length: number, fill = 'x') => fill.repeat(length);

const user = (extra: JsonObject = {}): JsonObject => ({ schemas: [URN.User], userName: 'ada', active: true, ...extra });
const group = (extra: JsonObject = {}): JsonObject => ({ schemas: [URN.Group], displayName: 'Eng', ...extra });

/** Each case puts one string of a chosen length at one place; `label` is how the detail must name that place. */
interface Case {
  what: string;
  type: ResourceTypeName;
  label: string;
  limit: number;
  doc: (value: string) => JsonObject;
}

const cases: Case[] = [
  { what: 'User userName', type: 'User', label: 'userName', limit: ID, doc: (v) => user({ userName: v }) },
  { what: 'User externalId', type: 'User', label: 'externalId', limit: ID, doc: (v) => user({ externalId: v }) },
  { what: 'Group displayName', type: 'Group', label: 'displayName', limit: ID, doc: (v) => group({ displayName: v }) },
  { what: 'Group externalId', type: 'Group', label: 'externalId', limit: ID, doc: (v) => group({ externalId: v }) },
  { what: 'User displayName', type: 'User', label: 'displayName', limit: MAX, doc: (v) => user({ displayName: v }) },
  {
    what: 'a sub-attribute',
    type: 'User',
    label: 'name.givenName',
    limit: MAX,
    doc: (v) => user({ name: { givenName: v } }),
  },
  {
    what: 'a multi-valued sub-attribute (second element)',
    type: 'User',
    label: 'emails.value',
    limit: MAX,
    doc: (v) =>
      user({
        emails: [
          { value: 'a@x.example', type: 'work' },
          { value: v, type: 'home' },
        ],
      }),
  },
  {
    what: 'an enterprise extension attribute',
    type: 'User',
    label: `${ENT}:department`,
    limit: MAX,
    doc: (v) => user({ schemas: [URN.User, ENT], [ENT]: { department: v } }),
  },
  {
    what: 'an extension sub-attribute',
    type: 'User',
    label: `${ENT}:manager.displayName`,
    limit: MAX,
    doc: (v) => user({ [ENT]: { manager: { value: 'u2', displayName: v } } }),
  },
  {
    what: 'an element of a multi-valued custom string attribute',
    type: 'User',
    label: `${CUSTOM}:badges`,
    limit: MAX,
    doc: (v) => user({ [CUSTOM]: { badges: ['b1', v] } }),
  },
  {
    what: 'a custom extension attribute named like an identifier',
    type: 'User',
    label: `${CUSTOM}:userName`,
    limit: MAX,
    doc: (v) => user({ [CUSTOM]: { userName: v } }),
  },
];

function invalidValue(detail: string) {
  return (err: unknown) =>
    err instanceof ScimError && err.status === 400 && err.scimType === 'invalidValue' && err.message === detail;
}

describe('assertValueSizes', () => {
  it('limits identifiers to 512 characters and every other string to 65,536', () => {
    expect([IDENTIFIER_MAX_LENGTH, VALUE_MAX_LENGTH]).to.deep.equal([512, 65_536]);
  });

  for (const { what, type, label, limit, doc } of cases) {
    it(`accepts ${what} at ${limit} characters and refuses it at ${limit + 1}, naming '${label}'`, () => {
      expect(() => assertValueSizes(doc(text(limit)), undefined, type)).to.not.throw();
      expect(() => assertValueSizes(doc(text(limit + 1)), undefined, type))
        .to.throw(ScimError)
        .that.satisfies(invalidValue(`'${label}' is ${limit + 1} characters; the limit is ${limit}`));
    });

    it(`lets ${what} over its limit through when the stored document holds the same value there`, () => {
      const old = text(limit + 1000, 'o');
      expect(() => assertValueSizes(doc(old), doc(old), type)).to.not.throw();
    });

    it(`refuses ${what} changed to another oversized value`, () => {
      const stored = doc(text(limit + 1000, 'o'));
      expect(() => assertValueSizes(doc(text(limit + 1000, 'n')), stored, type)).to.throw(
        ScimError,
        `'${label}' is ${limit + 1000} characters`,
      );
    });
  }

  it('counts JavaScript string length (UTF-16 code units): an emoji counts as two', () => {
    const emoji = '\u{1F600}';
    expect(() => assertValueSizes(user({ userName: emoji.repeat(ID / 2) }), undefined, 'User')).to.not.throw();
    expect(() => assertValueSizes(user({ userName: `${emoji.repeat(ID / 2)}x` }), undefined, 'User')).to.throw(
      ScimError,
      `'userName' is ${ID + 1} characters`,
    );
  });

  it('ignores numbers, booleans and nulls, and lets a document without oversized strings through', () => {
    expect(() =>
      assertValueSizes(user({ active: false, nickName: null, [CUSTOM]: { level: 10 ** 300 } }), undefined, 'User'),
    ).to.not.throw();
  });

  it('refuses the first oversized value in document order', () => {
    const doc = user({ displayName: text(MAX + 1), title: text(MAX + 2) });
    expect(() => assertValueSizes(doc, undefined, 'User')).to.throw(ScimError, `'displayName' is ${MAX + 1}`);
  });

  it('lets a deactivation through that keeps an old oversized userName and displayName', () => {
    const stored = user({ userName: text(2048), displayName: text(800_000) });
    expect(() => assertValueSizes({ ...stored, active: false }, stored, 'User')).to.not.throw();
  });

  it('still refuses a new oversized value beside unchanged old ones', () => {
    const stored = user({ userName: text(2048), displayName: text(800_000) });
    expect(() => assertValueSizes({ ...stored, title: text(MAX + 1) }, stored, 'User')).to.throw(
      ScimError,
      `'title' is ${MAX + 1} characters`,
    );
  });

  it('ignores array positions: stored oversized elements may be reordered', () => {
    const [a, b] = [text(MAX + 1, 'a'), text(MAX + 1, 'b')];
    const stored = user({ emails: [{ value: a }, { value: b }] });
    expect(() => assertValueSizes(user({ emails: [{ value: b }, { value: a }] }), stored, 'User')).to.not.throw();
    expect(() => assertValueSizes(user({ emails: [{ value: b, type: 'work' }] }), stored, 'User')).to.not.throw();
  });

  it('matches the stored attribute path case-insensitively (RFC 7643 §2.1)', () => {
    const old = text(2048);
    expect(() => assertValueSizes(user({ userName: old }), user({ UserName: old }), 'User')).to.not.throw();
  });

  it('refuses an oversized value moved to another attribute', () => {
    const old = text(800_000);
    const stored = user({ displayName: old });
    expect(() => assertValueSizes(user({ displayName: old, title: old }), stored, 'User')).to.throw(
      ScimError,
      `'title' is 800000 characters; the limit is ${MAX}`,
    );
    expect(() => assertValueSizes(user({ nickName: old }), stored, 'User')).to.throw(ScimError, `'nickName'`);
  });

  it('refuses a stored value moved from a general attribute to an identifier it is too long for', () => {
    const old = text(ID + 1);
    expect(() => assertValueSizes(user({ userName: old }), user({ displayName: old }), 'User')).to.throw(
      ScimError,
      `'userName' is ${ID + 1} characters; the limit is ${ID}`,
    );
  });

  it('refuses an oversized value moved between a sub-attribute and an extension attribute', () => {
    const old = text(MAX + 1);
    const stored = user({ name: { givenName: old } });
    expect(() => assertValueSizes(user({ name: { familyName: old } }), stored, 'User')).to.throw(
      ScimError,
      `'name.familyName'`,
    );
    expect(() => assertValueSizes(user({ [ENT]: { department: old } }), stored, 'User')).to.throw(
      ScimError,
      `'${ENT}:department'`,
    );
  });

  it('walks a deeply nested document without overflowing the call stack', () => {
    let deep: JsonObject = { leaf: text(MAX + 1) };
    for (let i = 0; i < 100_000; i++) deep = { n: deep };
    expect(() => assertValueSizes(user({ [CUSTOM]: deep }), undefined, 'User')).to.throw(
      ScimError,
      new RegExp(`^'${CUSTOM}:n\\.n\\.(n\\.)+leaf' is ${MAX + 1} characters; the limit is ${MAX}$`),
    );
  });
});
