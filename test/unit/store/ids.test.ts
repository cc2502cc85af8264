// test/unit/store/ids.test.ts: resource ids are valid, unique and time-ordered UUIDv7s.
import { expect } from 'chai';
import { newResourceId } from '../../../store/ids';

describe('resource ids', function () {
  it('are RFC 9562 version-7 UUIDs that sort in creation order, even within one millisecond', function () {
    const ids = Array.from({ length: 5000 }, () => newResourceId(1_800_000_000_000));
    for (const id of ids.slice(0, 10))
      expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).to.equal(ids.length);
    expect([...ids].sort()).to.deep.equal(ids);
    const later = newResourceId(1_800_000_001_000);
    expect(later > ids[ids.length - 1]!).to.equal(true);
  });
});
