// test/unit/domain/hr/service-user.test.ts: which users an IdP pushed are NHIs, and HR's attribute overlay.
import { expect } from 'chai';
import { ENTERPRISE_URN, matchValuesOf, withHrAttributes } from '../../../../domain/hr/match';
import { serviceUserOf } from '../../../../domain/hr/service-user';

describe('serviceUserOf', function () {
  it('maps service spellings of userType to NHI kinds, owned by the manager', function () {
    expect(serviceUserOf({ userType: 'Service', [ENTERPRISE_URN]: { manager: { value: 'm1' } } })).to.deep.equal({
      kind: 'service-account',
      ownerId: 'm1',
    });
    expect(serviceUserOf({ userType: 'Service Account' })).to.deep.equal({ kind: 'service-account', ownerId: null });
    expect(serviceUserOf({ userType: 'bot' })?.kind).to.equal('agent');
    expect(serviceUserOf({ userType: 'API_KEY' })?.kind).to.equal('api-key');
  });
  it('leaves people (and prototype names) alone', function () {
    for (const userType of ['Employee', 'Contractor', '', 'constructor', 'toString', 42])
      expect(serviceUserOf({ userType })).to.equal(undefined);
  });
});

describe('matchValuesOf and withHrAttributes', function () {
  it('names a user by every key HR may use, case-folded', function () {
    const doc = {
      userName: 'Ann@Acme.test',
      externalId: 'X-1',
      emails: [{ value: 'ANN@acme.test' }, { value: '' }, null],
      [ENTERPRISE_URN]: { employeeNumber: ' E1 ' },
    };
    expect(matchValuesOf(doc)).to.deep.equal([
      { key: 'userName', value: 'ann@acme.test' },
      { key: 'externalId', value: 'x-1' },
      { key: 'employeeNumber', value: 'e1' },
      { key: 'email', value: 'ann@acme.test' },
    ]);
  });
  it('overlays HR’s department, title and manager without touching the original', function () {
    const doc = { userName: 'a', title: 'Eng', [ENTERPRISE_URN]: { department: 'R&D', costCenter: '7' } };
    const out = withHrAttributes(doc, { department: 'Sales', title: null, manager: 'm2' });
    expect(out).to.deep.equal({
      userName: 'a',
      [ENTERPRISE_URN]: { department: 'Sales', costCenter: '7', manager: { value: 'm2' } },
    });
    expect(doc.title).to.equal('Eng');
    expect(withHrAttributes(doc, {})).to.equal(doc);
  });
});
