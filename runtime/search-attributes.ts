// runtime/search-attributes.ts: make sure a Temporal namespace has the custom search attributes scimflow writes.
import type { Connection } from '@temporalio/client';

export type SearchAttributeTypeName = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** temporal.api.enums.v1.IndexedValueType numbers (stable proto enum values). */
const INDEXED_VALUE_TYPES: Record<SearchAttributeTypeName, number> = {
  Text: 1,
  Keyword: 2,
  Int: 3,
  Double: 4,
  Bool: 5,
  Datetime: 6,
  KeywordList: 7,
};

function typeName(indexedValueType: number | undefined): string {
  const entry = Object.entries(INDEXED_VALUE_TYPES).find(([, value]) => value === indexedValueType);
  return entry ? entry[0] : `type #${indexedValueType}`;
}

async function registered(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return { ...(response.customAttributes as Record<string, number> | null | undefined) };
}

/**
 * Adds the missing attributes and returns their names. A dev server started on an existing SQLite file keeps the
 * attributes it had and ignores new --search-attribute flags, so this runs after every start. An attribute that exists
 * with another type cannot be changed in place, so that is an error.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: Record<string, SearchAttributeTypeName>,
): Promise<string[]> {
  const current = await registered(connection, namespace);
  const missing: Record<string, number> = {};
  for (const [name, type] of Object.entries(wanted)) {
    const have = current[name];
    if (have === undefined) missing[name] = INDEXED_VALUE_TYPES[type];
    else if (have !== INDEXED_VALUE_TYPES[type]) {
      throw new Error(
        `Search attribute ${name} is registered in namespace ${namespace} as ${typeName(have)}, but scimflow needs ${type}; ` +
          'use a fresh Temporal database (or namespace) or remove the attribute first.',
      );
    }
  }
  const names = Object.keys(missing);
  if (!names.length) return [];
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  // Elasticsearch-backed clusters apply the change asynchronously; SQL visibility (the dev server) at once.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const now = await registered(connection, namespace);
    if (names.every((name) => now[name] === missing[name])) return names;
    if (Date.now() > deadline) throw new Error(`Search attributes ${names.join(', ')} did not appear in ${namespace}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
