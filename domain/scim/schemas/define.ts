// domain/scim/schemas/define.ts: terse builders for the built-in schema definitions (RFC 7643 §7 defaults).
import type { AttributeDef, SchemaDef, SubAttributeDef } from './types';

type Characteristics = Partial<Omit<AttributeDef, 'name' | 'subAttributes'>>;

export function attr(name: string, characteristics: Characteristics = {}): SubAttributeDef {
  return {
    name,
    type: 'string',
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...characteristics,
  };
}

export function complex(
  name: string,
  subAttributes: SubAttributeDef[],
  characteristics: Characteristics = {},
): AttributeDef {
  return { ...attr(name, { ...characteristics, type: 'complex' }), subAttributes };
}

/**
 * The value/display/type/primary shape RFC 7643 §2.4 gives most multi-valued attributes (emails, phoneNumbers…).
 * `value` overrides the value sub-attribute's characteristics (photos hold references, certificates binary).
 */
export function multiValued(
  name: string,
  description: string,
  typeValues: string[] | undefined,
  value: Characteristics = {},
): AttributeDef {
  return complex(
    name,
    [
      attr('value', value),
      attr('display'),
      attr('type', typeValues ? { canonicalValues: typeValues } : {}),
      attr('primary', { type: 'boolean' }),
    ],
    { multiValued: true, description },
  );
}

/** Freezes a built-in definition so no caller can mutate the shared registry data by accident. */
export function frozenSchema(schema: SchemaDef): SchemaDef {
  return deepFreeze(schema);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
