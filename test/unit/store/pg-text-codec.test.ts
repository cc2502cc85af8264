// test/unit/store/pg-text-codec.test.ts: text PostgreSQL cannot hold (U+0000, lone surrogates) round-trips through
// the PostgreSQL store's reversible encoding; everything else passes untouched.
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeText, encodeText } from '../../../store/pg/session';

const storable = (s: string) => !s.includes('\u0000') && s === Buffer.from(s, 'utf8').toString('utf8');

describe('store/pg text codec', function () {
  it('round-trips any UTF-16 string, and what it sends PostgreSQL can be stored as it is', function () {
    const units = fc.string({ unit: fc.constantFrom('a', '\u0000', '\uffff', '\ud800', '\udc00', 'é', '💥', '\\') });
    fc.assert(
      fc.property(fc.oneof(units, fc.string({ unit: 'binary' })), (s) => {
        const encoded = encodeText(s);
        expect(storable(encoded), JSON.stringify(encoded)).to.equal(true);
        expect(decodeText(encoded)).to.equal(s);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keeps distinct values distinct (a userName with a lone surrogate does not collide with another)', function () {
    const names = ['a\ud800', 'a\udbff', 'a\ufffd', 'a\uffff', 'a\uffff0', 'a\u0000', 'a0', 'a\ud83d\udca5'];
    expect(new Set(names.map(encodeText)).size).to.equal(names.length);
  });

  it('leaves ordinary text (and a valid surrogate pair) as it is', function () {
    for (const s of ['', 'alice@example.com', 'Zoë', '💥', '{"a":"\\u0000"}']) expect(encodeText(s)).to.equal(s);
  });

  it('refuses text it did not encode rather than guess', function () {
    expect(() => decodeText('x\uffffq')).to.throw(/corrupt text/);
  });
});
