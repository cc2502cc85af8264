// test/unit/domain/scim/schemas.test.ts: built-in schema definitions, custom extensions and path resolution.
import { expect } from 'chai';
import { ZodError } from 'zod';
import { SchemaRegistry } from '../../../../domain/scim/schemas/registry';
import { SchemaDefSchema } from '../../../../domain/scim/schemas/types';
import { URN } from '../../../../domain/scim/schemas/urns';
import { registry } from './sample-resources';

const CUSTOM_URN = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';

describe('SCIM schema registry', () => {
  describe('built-in definitions', () => {
    it('validates every built-in schema against the zod schema used for directory config', () => {
      for (const schema of registry.allSchemas()) expect(() => SchemaDefSchema.parse(schema)).not.to.throw();
    });

    it('defines userName as required, case-insensitive and unique per server (RFC 7643 §4.1)', () => {
      const { attribute } = registry.resolve('User', { attr: 'userName' })!;
      expect(attribute).to.include({ required: true, caseExact: false, uniqueness: 'server', returned: 'default' });
    });

    it('makes password write-only and never returned', () => {
      expect(registry.resolve('User', { attr: 'password' })!.attribute).to.include({
        mutability: 'writeOnly',
        returned: 'never',
      });
    });

    it('makes User.groups and its sub-attributes read-only', () => {
      const groups = registry.resolve('User', { attr: 'groups' })!.attribute;
      expect(groups).to.include({ mutability: 'readOnly', multiValued: true, type: 'complex' });
      expect(groups.subAttributes!.map((s) => s.mutability)).to.deep.equal([
        'readOnly',
        'readOnly',
        'readOnly',
        'readOnly',
      ]);
    });

    it('types the common attributes: id always returned and caseExact, externalId caseExact, meta dates', () => {
      expect(registry.resolve('User', { attr: 'id' })!.attribute).to.include({
        caseExact: true,
        mutability: 'readOnly',
        returned: 'always',
      });
      expect(registry.resolve('Group', { attr: 'externalId' })!.attribute).to.include({ caseExact: true });
      expect(registry.resolve('Group', { attr: 'meta', sub: 'lastModified' })!.subAttribute).to.include({
        type: 'dateTime',
        mutability: 'readOnly',
      });
      expect(registry.resolve('User', { attr: 'meta' })!.attribute).to.include({
        mutability: 'readOnly',
        returned: 'default',
      });
    });

    it('gives Group members value, $ref, display and type, all immutable', () => {
      const members = registry.resolve('Group', { attr: 'members' })!.attribute;
      expect(members.subAttributes!.map((s) => [s.name, s.mutability])).to.deep.equal([
        ['value', 'immutable'],
        ['$ref', 'immutable'],
        ['display', 'immutable'],
        ['type', 'immutable'],
      ]);
    });

    it('gives the enterprise manager a value, a $ref and a read-only displayName', () => {
      const manager = registry.resolve('User', { uri: URN.EnterpriseUser, attr: 'manager' })!.attribute;
      expect(manager.subAttributes!.map((s) => [s.name, s.mutability])).to.deep.equal([
        ['value', 'readWrite'],
        ['$ref', 'readWrite'],
        ['displayName', 'readOnly'],
      ]);
    });
  });

  describe('resource types', () => {
    it('lists User with the enterprise extension and Group without extensions', () => {
      expect(registry.resourceTypes()).to.deep.equal([
        {
          id: 'User',
          name: 'User',
          endpoint: '/Users',
          description: 'User Account',
          schema: URN.User,
          schemaExtensions: [{ schema: URN.EnterpriseUser, required: false }],
        },
        {
          id: 'Group',
          name: 'Group',
          endpoint: '/Groups',
          description: 'Group',
          schema: URN.Group,
          schemaExtensions: [],
        },
      ]);
      expect(registry.resourceType('Group').endpoint).to.equal('/Groups');
    });

    it('returns the core schema first, then the extensions', () => {
      expect(registry.schemasFor('User').map((s) => s.id)).to.deep.equal([URN.User, URN.EnterpriseUser]);
      expect(registry.schemasFor('Group').map((s) => s.id)).to.deep.equal([URN.Group]);
    });

    it('finds a schema by URN regardless of case', () => {
      expect(registry.schema('URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:user')?.id).to.equal(URN.User);
      expect(registry.schema('urn:example:unknown')).to.equal(undefined);
    });
  });

  describe('resolve', () => {
    it('resolves names case-insensitively to canonical spellings', () => {
      const resolved = registry.resolve('User', { attr: 'NAME', sub: 'GIVENNAME' })!;
      expect(resolved).to.include({ schemaId: URN.User, isExtension: false });
      expect([resolved.attribute.name, resolved.subAttribute!.name]).to.deep.equal(['name', 'givenName']);
    });

    it('resolves URN-qualified core and extension attributes, with case-insensitive URNs', () => {
      expect(registry.resolve('User', { uri: URN.User, attr: 'username' })!.attribute.name).to.equal('userName');
      const manager = registry.resolve('User', {
        uri: URN.EnterpriseUser.toUpperCase(),
        attr: 'manager',
        sub: 'value',
      })!;
      expect(manager).to.include({ schemaId: URN.EnterpriseUser, isExtension: true });
      expect(manager.subAttribute!.name).to.equal('value');
    });

    it('falls back to the extensions for a bare extension attribute name (Entra legacy "manager" path)', () => {
      expect(registry.resolve('User', { attr: 'employeeNumber' })).to.include({
        schemaId: URN.EnterpriseUser,
        isExtension: true,
      });
    });

    it('returns undefined for unknown attributes, unknown sub-attributes and foreign URNs', () => {
      expect(registry.resolve('User', { attr: 'favoriteColour' })).to.equal(undefined);
      expect(registry.resolve('User', { attr: 'name', sub: 'nickname' })).to.equal(undefined);
      expect(registry.resolve('User', { attr: 'userName', sub: 'value' })).to.equal(undefined);
      expect(registry.resolve('Group', { uri: URN.User, attr: 'userName' })).to.equal(undefined);
      expect(registry.resolve('Group', { attr: 'userName' })).to.equal(undefined);
    });
  });

  describe('custom User extensions', () => {
    it('validates terse config, applies the RFC 7643 §7 defaults and resolves the new attributes', () => {
      const custom = new SchemaRegistry([
        { id: CUSTOM_URN, name: 'Acme', attributes: [{ name: 'badgeNumber', type: 'integer' }, { name: 'costCode' }] },
      ]);
      expect(custom.schemasFor('User').map((s) => s.id)).to.deep.equal([URN.User, URN.EnterpriseUser, CUSTOM_URN]);
      expect(custom.resourceType('User').schemaExtensions).to.deep.include({ schema: CUSTOM_URN, required: false });
      expect(custom.resolve('User', { uri: CUSTOM_URN, attr: 'BADGENUMBER' })!.attribute).to.deep.equal({
        name: 'badgeNumber',
        type: 'integer',
        multiValued: false,
        required: false,
        caseExact: false,
        mutability: 'readWrite',
        returned: 'default',
        uniqueness: 'none',
      });
    });

    it('rejects invalid extension definitions with a zod error', () => {
      const bad = [
        { id: 'no-colon', name: 'X', attributes: [] },
        { id: CUSTOM_URN, name: 'X', attributes: [{ name: '1abc' }] },
        { id: CUSTOM_URN, name: 'X', attributes: [{ name: 'a', type: 'complex' }] },
        { id: CUSTOM_URN, name: 'X', attributes: [{ name: 'a' }, { name: 'A' }] },
        { id: CUSTOM_URN, name: 'X', attributes: [{ name: 'a', type: 'colour' }] },
      ];
      for (const def of bad) {
        // chai 4's throw(Constructor) does not recognise zod 4's ZodError constructor, so check the instance instead.
        expect(() => new SchemaRegistry([def as never]), JSON.stringify(def))
          .to.throw()
          .that.is.instanceOf(ZodError);
      }
    });

    it('refuses an extension that reuses a built-in schema URN', () => {
      expect(() => new SchemaRegistry([{ id: URN.EnterpriseUser.toLowerCase(), name: 'X', attributes: [] }])).to.throw(
        /defined twice/,
      );
    });
  });
});
