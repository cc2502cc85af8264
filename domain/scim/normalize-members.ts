// domain/scim/normalize-members.ts: Group member references as they arrive in POST/PUT bodies and PATCH values.
import { isJsonObject } from './json';
import { coerceSimple, invalidValue } from './normalize-values';
import type { AttributeDef } from './schemas/types';

/** One member as the store keeps it; `$ref` is derived from value and type, so it is never kept. */
export interface MemberRef {
  value: string;
  display?: string;
  type?: string;
}

const TEXT: AttributeDef = {
  name: 'value',
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: true,
  mutability: 'immutable',
  returned: 'default',
  uniqueness: 'none',
};

/**
 * Members listed in a value: an array (or one object) of {value, display?, type?}. Entra sends `"$ref": null`
 * beside each value (entra-11-group-members-legacy-add-remove.json); it and other keys are ignored. A member without
 * a value is invalidValue. Duplicates collapse to the first occurrence.
 */
export function parseMemberRefs(raw: unknown, label = 'members'): MemberRef[] {
  const byValue = new Map<string, MemberRef>();
  for (const element of Array.isArray(raw) ? raw : [raw]) {
    if (element === null || element === undefined) continue;
    if (!isJsonObject(element)) throw invalidValue(label, 'must list members as objects with a "value"');
    const ref = memberFields(element, label);
    if (!byValue.has(ref.value)) byValue.set(ref.value, ref);
  }
  return [...byValue.values()];
}

function memberFields(element: Record<string, unknown>, label: string): MemberRef {
  let ref: MemberRef | undefined;
  const optional: { display?: string; type?: string } = {};
  for (const [key, raw] of Object.entries(element)) {
    const name = key.toLowerCase();
    if (name !== 'value' && name !== 'display' && name !== 'type') continue;
    const text = coerceSimple(TEXT, raw, `${label}.${name}`) as string | undefined;
    if (text === undefined) continue;
    if (name === 'value') ref = { value: text };
    else optional[name] = text;
  }
  if (!ref || ref.value === '') throw invalidValue(`${label}.value`, 'is required for every member');
  return { ...ref, ...optional };
}
