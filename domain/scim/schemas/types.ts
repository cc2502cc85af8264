// domain/scim/schemas/types.ts: zod definitions of SCIM schema metadata (RFC 7643 §7) and resource types (§6).
import { z } from 'zod';

// RFC 7643 §2.1 ATTRNAME (ALPHA *(nameChar)); '$' is admitted because "$ref" is a standard sub-attribute name.
const ATTR_NAME = /^[A-Za-z$][A-Za-z0-9_$-]*$/;

export const AttributeTypeSchema = z.enum([
  'string',
  'boolean',
  'decimal',
  'integer',
  'dateTime',
  'reference',
  'complex',
  'binary',
]);
export const MutabilitySchema = z.enum(['readOnly', 'readWrite', 'immutable', 'writeOnly']);
export const ReturnedSchema = z.enum(['always', 'never', 'default', 'request']);
export const UniquenessSchema = z.enum(['none', 'server', 'global']);

// Defaults are the ones RFC 7643 §7 prescribes for omitted characteristics, so directory config can stay terse.
const characteristics = {
  name: z.string().regex(ATTR_NAME, 'must be an RFC 7643 attribute name (letter, then letters, digits, "_", "-")'),
  type: AttributeTypeSchema.default('string'),
  multiValued: z.boolean().default(false),
  required: z.boolean().default(false),
  caseExact: z.boolean().default(false),
  mutability: MutabilitySchema.default('readWrite'),
  returned: ReturnedSchema.default('default'),
  uniqueness: UniquenessSchema.default('none'),
  description: z.string().optional(),
  canonicalValues: z.array(z.string()).optional(),
  referenceTypes: z.array(z.string()).optional(),
};

// RFC 7643 §2.3.8: a complex attribute's sub-attributes are never complex themselves.
export const SubAttributeDefSchema = z
  .object(characteristics)
  .refine((a) => a.type !== 'complex', { message: 'a sub-attribute cannot be complex (RFC 7643 §2.3.8)' });

export const AttributeDefSchema = z
  .object({ ...characteristics, subAttributes: z.array(SubAttributeDefSchema).optional() })
  .superRefine((a, ctx) => {
    const subs = a.subAttributes ?? [];
    if (a.type === 'complex' && subs.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a complex attribute needs subAttributes', path: ['subAttributes'] });
    }
    if (a.type !== 'complex' && subs.length > 0) {
      ctx.addIssue({ code: 'custom', message: 'only complex attributes have subAttributes', path: ['subAttributes'] });
    }
    const duplicate = firstDuplicateName(subs);
    if (duplicate)
      ctx.addIssue({ code: 'custom', message: `duplicate sub-attribute '${duplicate}'`, path: ['subAttributes'] });
  });

// A schema id is a URI that prefixes attribute paths ("<id>:<attr>"), so it needs a ':' and must not end with one,
// and it may not contain characters that end a path inside a filter.
const isSchemaId = (id: string) => /^[^\s"()[\]]+$/.test(id) && id.includes(':') && !id.endsWith(':');

export const SchemaDefSchema = z
  .object({
    id: z.string().refine(isSchemaId, 'must be a URI such as urn:acme:params:scim:schemas:extension:acme:2.0:User'),
    name: z.string().min(1),
    description: z.string().optional(),
    attributes: z.array(AttributeDefSchema),
  })
  .superRefine((s, ctx) => {
    const duplicate = firstDuplicateName(s.attributes);
    if (duplicate)
      ctx.addIssue({ code: 'custom', message: `duplicate attribute '${duplicate}'`, path: ['attributes'] });
  });

export type AttributeType = z.infer<typeof AttributeTypeSchema>;
export type Mutability = z.infer<typeof MutabilitySchema>;
export type Returned = z.infer<typeof ReturnedSchema>;
export type Uniqueness = z.infer<typeof UniquenessSchema>;
export type SubAttributeDef = z.infer<typeof SubAttributeDefSchema>;
export type AttributeDef = z.infer<typeof AttributeDefSchema>;
export type SchemaDef = z.infer<typeof SchemaDefSchema>;
/** What directory config may supply: omitted characteristics take the RFC 7643 §7 defaults. */
export type SchemaDefInput = z.input<typeof SchemaDefSchema>;

export type ResourceTypeName = 'User' | 'Group';

/** RFC 7643 §6 ResourceType, as served by /ResourceTypes. */
export interface ResourceTypeDef {
  id: ResourceTypeName;
  name: ResourceTypeName;
  endpoint: '/Users' | '/Groups';
  description: string;
  schema: string;
  schemaExtensions: { schema: string; required: boolean }[];
}

function firstDuplicateName(attributes: readonly { name: string }[]): string | undefined {
  const seen = new Set<string>();
  for (const { name } of attributes) {
    const lower = name.toLowerCase(); // RFC 7643 §2.1: names are case-insensitive, so "Dept" and "dept" collide
    if (seen.has(lower)) return name;
    seen.add(lower);
  }
  return undefined;
}
