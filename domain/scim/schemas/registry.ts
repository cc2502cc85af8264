// domain/scim/schemas/registry.ts: which schemas each resource type has, and attribute-path resolution against them.
import type { AttrPath } from '../filter/ast';
import { ENTERPRISE_USER_SCHEMA } from './enterprise-user';
import { GROUP_SCHEMA } from './group';
import { SchemaDefSchema } from './types';
import type { AttributeDef, ResourceTypeDef, ResourceTypeName, SchemaDef, SchemaDefInput } from './types';
import { URN } from './urns';
import { USER_SCHEMA } from './user';

export interface ResolvedAttribute {
  schemaId: string;
  isExtension: boolean;
  /** Canonical definition; `attribute.name` is the canonical spelling of what the client wrote. */
  attribute: AttributeDef;
  subAttribute?: AttributeDef;
}

interface IndexedSchema {
  schema: SchemaDef;
  isExtension: boolean;
  attributes: Map<string, { def: AttributeDef; subs: Map<string, AttributeDef> }>;
}

export class SchemaRegistry {
  private readonly types: Record<ResourceTypeName, ResourceTypeDef>;
  private readonly byType: Record<ResourceTypeName, IndexedSchema[]>;
  private readonly byId = new Map<string, SchemaDef>();

  /** Custom User extensions come from directory config; they are validated here and are never required. */
  constructor(customUserExtensions: readonly SchemaDefInput[] = []) {
    const custom = customUserExtensions.map((input) => SchemaDefSchema.parse(input));
    for (const schema of [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA, ...custom]) {
      const key = schema.id.toLowerCase();
      if (this.byId.has(key)) throw new Error(`Schema ${schema.id} is defined twice`);
      this.byId.set(key, schema);
    }
    const userExtensions = [ENTERPRISE_USER_SCHEMA, ...custom];
    this.types = {
      User: {
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: URN.User,
        schemaExtensions: userExtensions.map((s) => ({ schema: s.id, required: false })),
      },
      Group: {
        id: 'Group',
        name: 'Group',
        endpoint: '/Groups',
        description: 'Group',
        schema: URN.Group,
        schemaExtensions: [],
      },
    };
    this.byType = {
      User: [index(USER_SCHEMA, false), ...userExtensions.map((s) => index(s, true))],
      Group: [index(GROUP_SCHEMA, false)],
    };
  }

  resourceTypes(): ResourceTypeDef[] {
    return [this.types.User, this.types.Group];
  }

  resourceType(name: ResourceTypeName): ResourceTypeDef {
    return this.types[name];
  }

  /** Core schema first, then extensions in declaration order. */
  schemasFor(type: ResourceTypeName): SchemaDef[] {
    return this.byType[type].map((s) => s.schema);
  }

  allSchemas(): SchemaDef[] {
    return [...this.byId.values()];
  }

  /** Schema URNs compare case-insensitively, as IdPs vary the case of "User"/"user". */
  schema(id: string): SchemaDef | undefined {
    return this.byId.get(id.toLowerCase());
  }

  /**
   * Resolves a path as written to canonical definitions; undefined when no schema of `type` defines it.
   * Names are case-insensitive (RFC 7643 §2.1). Without a URI the core schema is searched first, then the
   * extensions in order, because IdPs (Entra's legacy "manager" path) sometimes leave extension attributes bare.
   */
  resolve(type: ResourceTypeName, path: AttrPath): ResolvedAttribute | undefined {
    const schemas = this.byType[type];
    if (path.uri !== undefined) {
      const uri = path.uri.toLowerCase();
      const schema = schemas.find((s) => s.schema.id.toLowerCase() === uri);
      return schema && lookup(schema, path);
    }
    for (const schema of schemas) {
      const found = lookup(schema, path);
      if (found) return found;
    }
    return undefined;
  }
}

function index(schema: SchemaDef, isExtension: boolean): IndexedSchema {
  const attributes = new Map<string, { def: AttributeDef; subs: Map<string, AttributeDef> }>();
  for (const def of schema.attributes) {
    const subs = new Map((def.subAttributes ?? []).map((sub): [string, AttributeDef] => [sub.name.toLowerCase(), sub]));
    attributes.set(def.name.toLowerCase(), { def, subs });
  }
  return { schema, isExtension, attributes };
}

function lookup(schema: IndexedSchema, path: AttrPath): ResolvedAttribute | undefined {
  const entry = schema.attributes.get(path.attr.toLowerCase());
  if (!entry) return undefined;
  const resolved: ResolvedAttribute = {
    schemaId: schema.schema.id,
    isExtension: schema.isExtension,
    attribute: entry.def,
  };
  if (path.sub === undefined) return resolved;
  const subAttribute = entry.subs.get(path.sub.toLowerCase());
  return subAttribute && { ...resolved, subAttribute };
}
