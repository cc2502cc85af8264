// test/unit/domain/scim/extension-change.test.ts: which custom-extension updates keep stored documents valid as they are.
import { expect } from 'chai';
import { onlyAddsTo } from '../../../../domain/scim/schemas/extension-change';
import { SchemaDefSchema } from '../../../../domain/scim/schemas/types';

const URN = 'urn:example:params:scim:schemas:extension:acme:2.0:User';
const schema = (id: string, attributes: Record<string, unknown>[]) =>
  SchemaDefSchema.parse({ id, name: 'Acme', attributes });

describe('onlyAddsTo', () => {
  const before = [schema(URN, [{ name: 'badge', type: 'string' }])];

  it('accepts new attributes and new schemas, and an unchanged list (schema URNs compared case-insensitively)', () => {
    expect(onlyAddsTo(before, before)).to.equal(true);
    expect(onlyAddsTo([], before)).to.equal(true);
    expect(
      onlyAddsTo(before, [
        schema(URN.toUpperCase(), [
          { name: 'badge', type: 'string' },
          { name: 'pin', type: 'string', returned: 'never' },
        ]),
        schema(`${URN}2`, [{ name: 'x', type: 'string' }]),
      ]),
    ).to.equal(true);
  });

  it('rejects a dropped schema, a dropped attribute and a changed characteristic', () => {
    expect(onlyAddsTo(before, [])).to.equal(false);
    expect(onlyAddsTo(before, [schema(URN, [{ name: 'other', type: 'string' }])])).to.equal(false);
    expect(onlyAddsTo(before, [schema(URN, [{ name: 'badge', type: 'string', returned: 'never' }])])).to.equal(false);
    expect(onlyAddsTo(before, [schema(URN, [{ name: 'badge', type: 'string', caseExact: true }])])).to.equal(false);
  });
});
