// test/unit/domain/hr/import-rows.test.ts: HR exports (CSV or JSON) → event bodies, ids stable across imports.
import { expect } from 'chai';
import { ImportFormatError, importRows } from '../../../../hr/import-rows';

describe('importRows', function () {
  it('reads CSV with a header, flattening person and mover fields, and gives rows without id a stable one', function () {
    const csv =
      '\uFEFFid,type,employeeNumber,effectiveAt,department\n,mover,E1,2026-12-01T00:00:00Z,Sales\nt-9,termination,E2,,\n';
    const rows = importRows(csv);
    expect(rows[0]).to.deep.include({
      type: 'mover',
      person: { employeeNumber: 'E1' },
      effectiveAt: '2026-12-01T00:00:00Z',
      changes: { department: 'Sales' },
    });
    expect(rows[0]!.id).to.match(/^import-[0-9a-f]{32}$/);
    expect(importRows(csv)[0]!.id).to.equal(rows[0]!.id);
    expect(rows[1]).to.deep.equal({ id: 't-9', type: 'termination', person: { employeeNumber: 'E2' } });
  });
  it('reads JSON arrays and {"events": [...]}', function () {
    expect(importRows('[{"id":"a","type":"rehire"}]')).to.deep.equal([{ id: 'a', type: 'rehire' }]);
    expect(importRows('{"events":[{"id":"b","type":"rehire"}]}')).to.have.length(1);
  });
  it('names what is wrong with a file', function () {
    expect(() => importRows('')).to.throw(ImportFormatError, /empty/);
    expect(() => importRows('[1,')).to.throw(ImportFormatError, /not valid JSON/);
    expect(() => importRows('{"rows": []}')).to.throw(ImportFormatError, /array of events/);
    expect(() => importRows('a,b\n"x,1\n')).to.throw(ImportFormatError, /not valid CSV/);
    expect(importRows('type,shoeSize\ntermination,44\n')[0]).to.have.property('unknownColumns');
  });
});
