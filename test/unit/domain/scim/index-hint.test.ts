// test/unit/domain/scim/index-hint.test.ts: which filters let the store use an index before matchesFilter.
import { expect } from 'chai';
import { indexHint } from '../../../../domain/scim/filter/index-hint';
import { parseFilter } from '../../../../domain/scim/filter/parse';
import { URN } from '../../../../domain/scim/schemas/urns';

const hint = (filter: string) => indexHint(parseFilter(filter));

describe('indexHint', () => {
  it('hints the IdP lookups: userName, externalId and displayName eq a string', () => {
    expect(hint('userName eq "MEI.WONG@ACME.EXAMPLE"')).to.deep.equal({
      attribute: 'userName',
      value: 'MEI.WONG@ACME.EXAMPLE',
      exact: true,
    });
    expect(hint('externalId eq "grace.kim"')).to.deep.equal({
      attribute: 'externalId',
      value: 'grace.kim',
      exact: true,
    });
    expect(hint('displayName eq "Finance Approvers"')).to.deep.equal({
      attribute: 'displayName',
      value: 'Finance Approvers',
      exact: true,
    });
    expect(hint('id eq "2819c223"')).to.deep.equal({ attribute: 'id', value: '2819c223', exact: true });
  });

  it('ignores attribute-name and operator case and accepts core-URN-qualified names', () => {
    expect(hint('username Eq "x"')).to.deep.equal({ attribute: 'userName', value: 'x', exact: true });
    // URN-qualified: the evaluator decides whether the URN fits the resource type, so candidates are still checked.
    expect(hint(`${URN.User}:userName eq "x"`)).to.deep.equal({ attribute: 'userName', value: 'x', exact: false });
    expect(hint(`${URN.Group.toUpperCase()}:DISPLAYNAME eq "g"`)).to.deep.equal({
      attribute: 'displayName',
      value: 'g',
      exact: false,
    });
  });

  it('finds the conjunct of a top-level and chain, preferring the most selective attribute (never exact)', () => {
    expect(hint('active eq true and (title pr and userName eq "x")')).to.deep.equal({
      attribute: 'userName',
      value: 'x',
      exact: false,
    });
    expect(hint('displayName eq "d" and externalId eq "e" and id eq "i"')).to.deep.equal({
      attribute: 'id',
      value: 'i',
      exact: false,
    });
  });

  it('never hints under or/not, for other operators, non-string values or other attributes', () => {
    for (const filter of [
      'userName eq "a" or userName eq "b"',
      'not (userName eq "a")',
      'userName ne "a"',
      'userName sw "a"',
      'userName eq null',
      'id eq 12',
      'emails.value eq "a@b.c"',
      'name.givenName eq "x"',
      'members[value eq "u1"]',
      `${URN.EnterpriseUser}:employeeNumber eq "1"`,
      'urn:example:ext:userName eq "x"',
      'constructor eq "x"',
      'userName pr',
    ]) {
      expect(hint(filter), filter).to.equal(undefined);
    }
  });
});
