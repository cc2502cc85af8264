// test/unit/domain/scim/filter-evaluate.test.ts: RFC 7644 §3.4.2.2 matching semantics over stored resources.
import { expect } from 'chai';
import { ScimError } from '../../../../domain/scim/errors';
import { compileFilter, matchesFilter } from '../../../../domain/scim/filter/evaluate';
import { parseFilter } from '../../../../domain/scim/filter/parse';
import type { JsonObject } from '../../../../domain/scim/json';
import { isJsonObject } from '../../../../domain/scim/json';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { URN } from '../../../../domain/scim/schemas/urns';
import { loadCorpus, queryParam } from './corpus';
import { groupCtx, RFC_EXAMPLES, userCtx, users } from './sample-resources';

const matching = (filter: string, resources: JsonObject[] = users) => {
  const parsed = parseFilter(filter);
  return resources.filter((r) => matchesFilter(r, parsed, userCtx)).map((r) => r.id);
};
const matches = (resource: JsonObject, filter: string, ctx = userCtx) =>
  matchesFilter(resource, parseFilter(filter), ctx);

function filterError(filter: string, ctx = userCtx): ScimError {
  try {
    compileFilter(parseFilter(filter), ctx);
  } catch (err) {
    if (err instanceof ScimError) return err;
    throw err;
  }
  throw new Error(`compiled: ${filter}`);
}

describe('matchesFilter', () => {
  it('evaluates every RFC 7644 §3.4.2.2 example filter as the RFC describes', () => {
    const expected = [
      ['u1'],
      ['u2'],
      ['u2'],
      ['u2'],
      ['u1', 'u3'],
      ['u2'],
      ['u1', 'u2'],
      ['u3'],
      ['u1', 'u3'],
      ['u1', 'u3'],
      ['u1', 'u2', 'u3'],
      ['u1', 'u3'],
      ['u1', 'u3'],
      ['u4'],
      ['u1'],
      ['u1'],
      ['u1', 'u2'],
    ];
    RFC_EXAMPLES.forEach((filter, i) => expect(matching(filter), filter).to.deep.equal(expected[i]));
  });

  describe('case sensitivity', () => {
    it('compares caseExact:false attributes case-insensitively (Okta upper-cases userName)', () => {
      expect(matching('userName eq "BJENSEN"')).to.deep.equal(['u1']);
      expect(matching('emails.value eq "BJensen@Example.COM"')).to.deep.equal(['u1']);
      expect(matching('name.familyName ew "MALLEY"')).to.deep.equal(['u2']);
    });

    it('compares caseExact:true attributes exactly (id, externalId)', () => {
      expect(matching('externalId eq "BJ-001"')).to.deep.equal(['u1']);
      expect(matching('externalId eq "bj-001"')).to.deep.equal([]);
      expect(matching('id eq "U1"')).to.deep.equal([]);
    });

    it('matches attribute names and resource keys regardless of case', () => {
      expect(matching('USERNAME eq "bjensen" and Name.GivenName eq "barbara"')).to.deep.equal(['u1']);
      const oddlyCased = { Id: 'x', USERNAME: 'odd', Emails: [{ VALUE: 'odd@example.com' }] };
      expect(matches(oddlyCased, 'userName eq "odd" and emails.value eq "odd@example.com"')).to.equal(true);
    });
  });

  describe('multi-valued and complex attributes', () => {
    it('matches a multi-valued attribute when any value matches', () => {
      expect(matching('emails.type eq "home"')).to.deep.equal(['u1', 'u3']);
    });

    it("compares a complex multi-valued attribute's value sub-attribute when none is named", () => {
      expect(matching('emails eq "babs@jensen.org"')).to.deep.equal(['u1']);
    });

    it('requires one element to satisfy the whole value filter', () => {
      expect(matching('emails[type eq "home" and value co "example.com"]')).to.deep.equal(['u3']);
      expect(matching('emails[type eq "work" and value ew ".org"]')).to.deep.equal(['u2']);
      expect(matching('emails[type eq "home" and value ew "example.org"]')).to.deep.equal([]);
    });

    it('evaluates Entra\'s emails[type eq "work"].value eq "…" against a single element', () => {
      expect(matching('emails[type eq "work"].value eq "bjensen@example.com"')).to.deep.equal(['u1']);
      expect(matching('emails[type eq "home"].value eq "bjensen@example.com"')).to.deep.equal([]);
    });

    it('filters Group members by value', () => {
      const group: JsonObject = {
        id: 'g1',
        displayName: 'Ops',
        members: [{ value: 'u1', display: 'Babs' }, { value: 'u2' }],
      };
      expect(matches(group, 'members[value eq "u2"]', groupCtx)).to.equal(true);
      expect(matches(group, 'members.value eq "u3"', groupCtx)).to.equal(false);
      expect(matches(group, 'displayName eq "OPS"', groupCtx)).to.equal(true);
    });

    it('reads extension attributes from their URN block, qualified or bare', () => {
      expect(matching(`${URN.EnterpriseUser}:employeeNumber eq "701984"`)).to.deep.equal(['u1']);
      expect(matching(`${URN.EnterpriseUser.toLowerCase()}:manager.value eq "u3"`)).to.deep.equal(['u1']);
      expect(matching('department sw "tour"')).to.deep.equal(['u1']);
      expect(matching(`${URN.EnterpriseUser}:manager eq "u3"`)).to.deep.equal(['u1']);
    });

    it('matches a simple multi-valued attribute through a value path on "value"', () => {
      expect(matching(`schemas[value eq "${URN.EnterpriseUser}"]`)).to.deep.equal(['u1', 'u3']);
    });
  });

  describe('typed comparisons', () => {
    it('compares dateTime attributes as instants, not strings', () => {
      expect(matching('meta.lastModified eq "2011-05-13T06:42:34+02:00"')).to.deep.equal(['u1']);
      expect(matching('meta.created lt "2010-01-23T04:56:22.001Z"')).to.deep.equal(['u1', 'u3']);
    });

    it('coerces IdP string booleans in filters ("True", "false")', () => {
      expect(matching('active eq "True"')).to.deep.equal(['u1', 'u3']);
      expect(matching('active eq "false"')).to.deep.equal(['u2']);
      expect(matching('roles[primary eq "True"].value eq "admin"')).to.deep.equal(['u1']);
      expect(matches({ active: 'False' }, 'active eq false')).to.equal(true);
    });

    it('compares numbers numerically, coercing numeric strings, and rejects substring operators on them', () => {
      const acme = 'urn:acme:params:scim:schemas:extension:acme:2.0:User';
      const registry = new SchemaRegistry([
        { id: acme, name: 'Acme', attributes: [{ name: 'badge', type: 'integer' }] },
      ]);
      const ctx = { registry, resourceType: 'User' as const };
      const people = [9, 10, '42'].map((badge, i) => ({ id: `p${i}`, [acme]: { badge } }));
      const ids = (filter: string) => people.filter((p) => matchesFilter(p, parseFilter(filter), ctx)).map((p) => p.id);
      expect(ids('badge gt 9')).to.deep.equal(['p1', 'p2']);
      expect(ids(`${acme}:badge eq "42"`)).to.deep.equal(['p2']);
      expect(ids('badge le 1e1')).to.deep.equal(['p0', 'p1']);
      expect(() => ids('badge co 4')).to.throw(ScimError, /numeric attribute/);
      expect(() => ids('badge eq "four"')).to.throw(ScimError, /must be a number/);
    });

    it('compares a number literal against a string attribute as text', () => {
      expect(matches({ displayName: '10' }, 'displayName eq 10', groupCtx)).to.equal(true);
    });

    it('rejects ordering a boolean or a complex attribute, and malformed literals, as invalidFilter', () => {
      const cases: [string, RegExp][] = [
        ['active gt true', /boolean attribute supports only eq, ne and pr/],
        ['active co "tr"', /boolean attribute/],
        ['active eq "yes"', /must be true or false/],
        ['name eq "Barbara"', /complex attribute has no value/],
        ['meta.lastModified gt "yesterday"', /RFC 3339 date-time/],
        ['title gt null', /only eq and ne accept null/],
      ];
      for (const [filter, message] of cases) {
        const error = filterError(filter);
        expect(error, filter).to.include({ status: 400, scimType: 'invalidFilter' });
        expect(error.message, filter).to.match(message);
      }
    });

    it('reports type errors even when no resource carries the attribute', () => {
      expect(() => matches({}, 'active gt false')).to.throw(ScimError, /boolean attribute/);
    });
  });

  describe('presence, absence and unknown attributes', () => {
    it('treats null, empty strings, empty arrays and empty objects as not present', () => {
      const sparse = { title: '', nickName: null, emails: [], name: { givenName: '' }, displayName: 'Yes' };
      for (const attr of ['title', 'nickName', 'emails', 'name', 'name.givenName', 'profileUrl']) {
        expect(matches(sparse, `${attr} pr`), attr).to.equal(false);
      }
      expect(matches(sparse, 'displayName pr')).to.equal(true);
      expect(matches({ active: false }, 'active pr')).to.equal(true);
    });

    it('treats eq null as absence and ne null as presence', () => {
      expect(matching('title eq null')).to.deep.equal(['u2', 'u4']);
      expect(matching('title ne null')).to.deep.equal(['u1', 'u3']);
      expect(matching('name eq null')).to.deep.equal(['u3', 'u4']);
    });

    it('makes ne the complement of eq, so resources without the attribute match ne', () => {
      expect(matching('title ne "Engineer"')).to.deep.equal(['u1', 'u2', 'u4']);
      expect(matching('emails.type ne "work"')).to.deep.equal(['u3']);
    });

    it('matches nothing for an attribute no schema defines, rather than failing the request', () => {
      expect(matching('favoriteColour eq "blue"')).to.deep.equal([]);
      expect(matching('favoriteColour pr')).to.deep.equal([]);
      expect(matching('urn:example:nope:attr eq "x" or userName eq "kwong"')).to.deep.equal(['u3']);
      expect(matching('emails[colour eq "blue"]')).to.deep.equal([]);
    });
  });

  it('compiles a filter once per registry and resource type and reuses it', () => {
    const parsed = parseFilter('userName eq "bjensen"');
    expect(compileFilter(parsed, userCtx)).to.equal(compileFilter(parsed, { ...userCtx }));
    expect(compileFilter(parsed, userCtx)).not.to.equal(compileFilter(parsed, groupCtx));
  });

  it('evaluates a 990-term and-chain without exhausting the stack', () => {
    const filter = Array.from({ length: 990 }, () => 'id pr').join(' and ');
    expect(matching(filter)).to.deep.equal(['u1', 'u2', 'u3', 'u4']);
  });

  describe('IdP corpus', () => {
    // Replays the POSTs (and DELETEs) before each filter GET; scenarios that PATCH first are the PATCH engine's.
    const cases = loadCorpus().flatMap((scenario) =>
      scenario.steps.flatMap((step, index) => {
        const filter = queryParam(step.request.path, 'filter');
        const earlier = scenario.steps.slice(0, index).filter((s) => s.request.method !== 'GET');
        const replayable = earlier.every((s) => s.request.method === 'POST' || s.request.method === 'DELETE');
        const ok = step.expect.status === 200 && isJsonObject(step.expect.body);
        return filter && ok && replayable && step.request.method === 'GET' ? [{ scenario, index, filter }] : [];
      }),
    );

    it('finds replayable filter scenarios', () => {
      expect(cases.length).to.be.greaterThan(8);
    });

    it('returns exactly the resources each recorded IdP filter expects', () => {
      for (const { scenario, index, filter } of cases) {
        const type = scenario.steps[index]!.request.path.startsWith('/Groups') ? 'Group' : 'User';
        const stored = new Map<string, JsonObject>();
        scenario.steps.slice(0, index).forEach((step, i) => {
          const { method, path, body } = step.request;
          if (method === 'POST' && path.startsWith(`/${type}s`) && isJsonObject(body)) {
            stored.set(`{{step${i + 1}.id}}`, { ...body, id: `{{step${i + 1}.id}}` });
          }
          if (method === 'DELETE') stored.delete(path.slice(path.lastIndexOf('/') + 1));
        });
        const parsed = parseFilter(filter);
        const ctx = type === 'User' ? userCtx : groupCtx;
        const found = [...stored.values()].filter((r) => matchesFilter(r, parsed, ctx)).map((r) => r.id);
        const body = scenario.steps[index]!.expect.body as { totalResults?: number; Resources?: { id?: string }[] };
        const label = `${scenario.file} step ${index + 1}: ${filter}`;
        if (body.totalResults !== undefined) expect(found, label).to.have.length(body.totalResults);
        for (const { id } of body.Resources ?? []) if (id) expect(found, label).to.include(id);
      }
    });
  });
});
