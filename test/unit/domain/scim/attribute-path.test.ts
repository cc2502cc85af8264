// test/unit/domain/scim/attribute-path.test.ts: PATCH paths (RFC 7644 §3.5.2) and plain attribute paths.
import { expect } from 'chai';
import fc from 'fast-check';
import type { PatchPath } from '../../../../domain/scim/attribute-path';
import { parseAttributePath, parsePatchPath } from '../../../../domain/scim/attribute-path';
import { ScimError } from '../../../../domain/scim/errors';
import { URN } from '../../../../domain/scim/schemas/urns';
import { loadCorpus } from './corpus';
import { registry } from './sample-resources';

function pathError(parse: () => unknown): ScimError {
  try {
    parse();
  } catch (err) {
    if (err instanceof ScimError) return err;
    throw err;
  }
  throw new Error('parsed');
}

describe('parsePatchPath', () => {
  it('parses the valuePath-with-sub-attribute form Entra uses for work emails', () => {
    expect(parsePatchPath('emails[type eq "work"].value')).to.deep.equal({
      path: { attr: 'emails' },
      valueFilter: { kind: 'compare', op: 'eq', path: { attr: 'type' }, value: 'work' },
      subAttr: 'value',
    });
  });

  it('parses a member-removal filter without a sub-attribute', () => {
    expect(parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]')).to.deep.equal({
      path: { attr: 'members' },
      valueFilter: {
        kind: 'compare',
        op: 'eq',
        path: { attr: 'value' },
        value: '2819c223-7f76-453a-919d-413861904646',
      },
    });
  });

  it('keeps the string "True" of roles[primary eq "True"] for the evaluator to coerce', () => {
    expect(parsePatchPath('roles[primary eq "True"].value')).to.deep.include({
      valueFilter: { kind: 'compare', op: 'eq', path: { attr: 'primary' }, value: 'True' },
      subAttr: 'value',
    });
  });

  it('parses plain, sub-attribute and URN-qualified paths', () => {
    expect(parsePatchPath('active')).to.deep.equal({ path: { attr: 'active' } });
    expect(parsePatchPath('name.givenName')).to.deep.equal({ path: { attr: 'name', sub: 'givenName' } });
    expect(parsePatchPath(`${URN.EnterpriseUser}:manager`)).to.deep.equal({
      path: { uri: URN.EnterpriseUser, attr: 'manager' },
    });
    expect(parsePatchPath(`${URN.EnterpriseUser}:manager.value`)).to.deep.equal({
      path: { uri: URN.EnterpriseUser, attr: 'manager', sub: 'value' },
    });
    expect(parsePatchPath(`${URN.User}:name.familyName`)).to.deep.equal({
      path: { uri: URN.User, attr: 'name', sub: 'familyName' },
    });
  });

  it('accepts a compound filter inside the brackets', () => {
    expect(parsePatchPath('addresses[type eq "work" and primary eq true].locality').valueFilter).to.deep.include({
      kind: 'logical',
      op: 'and',
    });
  });

  it('reports a malformed path as invalidPath with the position (unbalanced bracket from the RFC corpus)', () => {
    const cases: [string, RegExp][] = [
      ['emails[type eq "work"', /expected '\]'.* at position 21$/],
      ['', /expected an attribute path at position 0$/],
      ['name.', /invalid attribute path 'name\.' at position 0$/],
      ['emails[type eq "work"].', /expected a sub-attribute name.* at position 23$/],
      ['emails[type eq "work"]value', /unexpected 'value' at position 22$/],
      ['name.givenName[x eq "y"]', /'\[' must follow an attribute.* at position 14$/],
      ['members value', /unexpected 'value' at position 8$/],
      ['"quoted"', /at position 0$/],
    ];
    for (const [text, message] of cases) {
      const error = pathError(() => parsePatchPath(text));
      expect(error, text).to.include({ status: 400, scimType: 'invalidPath' });
      expect(error.message, text).to.match(message);
    }
  });

  it('reports a malformed filter inside the brackets as invalidFilter (RFC 7644 §3.12)', () => {
    const error = pathError(() => parsePatchPath('members[value zz "x"]'));
    expect(error).to.include({ status: 400, scimType: 'invalidFilter' });
    expect(error.message).to.match(/unknown operator 'zz' at position 14$/);
  });

  it('parses every path the recorded IdP PATCH requests use, except the one the corpus expects a 400 for', () => {
    let checked = 0;
    for (const scenario of loadCorpus()) {
      for (const step of scenario.steps) {
        const body = step.request.body as { Operations?: { path?: string }[] } | undefined;
        for (const { path } of body?.Operations ?? []) {
          if (path === undefined) continue;
          checked++;
          if (scenario.file.startsWith('rfc-02') && step.expect.status === 400) {
            // Either malformed (invalidPath here) or well-formed but unknown to the schema (the PATCH engine's 400).
            let parsed: PatchPath | undefined;
            try {
              parsed = parsePatchPath(path);
            } catch (err) {
              expect(err, path).to.be.instanceOf(ScimError).and.include({ scimType: 'invalidPath' });
            }
            if (parsed) expect(registry.resolve('User', parsed.path), path).to.equal(undefined);
          } else {
            expect(() => parsePatchPath(path), `${scenario.file}: ${path}`).not.to.throw();
          }
        }
      }
    }
    expect(checked).to.be.greaterThan(10);
  });
});

describe('path parsers on arbitrary input', () => {
  it('either parse or throw a 400 invalidPath/invalidFilter, never anything else', () => {
    // prettier-ignore
    const fragments = fc.constantFrom('emails', '[', ']', '.', 'value', 'type eq "work"', '"', 'and', ':', ' ', '$ref', 'urn:x:y');
    const inputs = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.array(fragments, { maxLength: 20 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(inputs, (text) => {
        for (const parse of [parsePatchPath, parseAttributePath]) {
          try {
            parse(text);
          } catch (err) {
            expect(err).to.be.instanceOf(ScimError).and.include({ status: 400 });
            expect((err as ScimError).scimType).to.be.oneOf(['invalidPath', 'invalidFilter']);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseAttributePath', () => {
  it('parses plain, sub-attribute and URN-qualified names as written', () => {
    expect(parseAttributePath('userName')).to.deep.equal({ attr: 'userName' });
    expect(parseAttributePath(' emails.value ')).to.deep.equal({ attr: 'emails', sub: 'value' });
    expect(parseAttributePath(`${URN.EnterpriseUser}:manager.displayName`)).to.deep.equal({
      uri: URN.EnterpriseUser,
      attr: 'manager',
      sub: 'displayName',
    });
  });

  it('rejects filters, brackets and junk as invalidPath', () => {
    for (const text of ['emails[type eq "work"]', 'a b', 'a.b.c', '', '1abc', 'userName,']) {
      expect(
        pathError(() => parseAttributePath(text)),
        text,
      ).to.include({ status: 400, scimType: 'invalidPath' });
    }
  });
});
