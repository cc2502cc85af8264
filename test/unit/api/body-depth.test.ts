// test/unit/api/body-depth.test.ts: the nesting check on request text, before JSON.parse (pure).
import { expect } from 'chai';
import { MAX_JSON_DEPTH, textDepthExceeds } from '../../../api/body';

describe('request body nesting (api/body.ts)', function () {
  it('counts arrays and objects, not brackets inside strings or after escapes', function () {
    expect(textDepthExceeds('{"a":[{"b":[1]}]}', 4)).to.equal(false);
    expect(textDepthExceeds('{"a":[{"b":[1]}]}', 3)).to.equal(true);
    expect(textDepthExceeds(JSON.stringify({ s: '[[[[[[[[[[' }), 2)).to.equal(false);
    expect(textDepthExceeds(JSON.stringify({ s: 'quote \\" [[[[[[' }), 2)).to.equal(false);
  });

  it('refuses SCIM-shaped bodies nowhere near the limit, and 500,000 levels at once', function () {
    const patch = { schemas: ['x'], Operations: [{ op: 'add', value: { 'urn:x': { manager: { value: 'm' } } } }] };
    expect(textDepthExceeds(JSON.stringify(patch), MAX_JSON_DEPTH)).to.equal(false);
    expect(textDepthExceeds(`${'['.repeat(500_000)}${']'.repeat(500_000)}`, MAX_JSON_DEPTH)).to.equal(true);
  });
});
