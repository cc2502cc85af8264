// hr/import-rows.ts: an HR export (CSV with a header row, or a JSON array of events) → HR event bodies, one per row.
import crypto from 'node:crypto';
import { parse } from 'csv-parse/sync';

const PERSON = ['employeeNumber', 'externalId', 'userName', 'email'] as const;
const CHANGES = ['manager', 'department', 'title'] as const;
const TOP = ['id', 'type', 'effectiveAt', 'timeZone', 'reason', 'rescinds'] as const;

/** A row without an id gets one from its content: importing the same file twice records nothing twice. */
function withId(row: Record<string, unknown>): Record<string, unknown> {
  if (typeof row.id === 'string' && row.id !== '') return row;
  const digest = crypto.createHash('sha256').update(JSON.stringify(row)).digest('hex').slice(0, 32);
  return { ...row, id: `import-${digest}` };
}

/** One CSV record (header names as in the JSON body; person and mover fields flat) → an event body. */
function fromCsvRecord(record: Record<string, string>): Record<string, unknown> {
  const value = (k: string) => (record[k] ?? '').trim();
  const body: Record<string, unknown> = {};
  for (const k of TOP) if (value(k)) body[k] = value(k);
  const person = Object.fromEntries(PERSON.filter((k) => value(k)).map((k) => [k, value(k)]));
  if (Object.keys(person).length > 0) body.person = person;
  const changes = Object.fromEntries(CHANGES.filter((k) => value(k)).map((k) => [k, value(k)]));
  if (Object.keys(changes).length > 0) body.changes = changes;
  const unknown = Object.keys(record).filter(
    (k) => !([...TOP, ...PERSON, ...CHANGES] as readonly string[]).includes(k),
  );
  if (unknown.length > 0) body.unknownColumns = unknown; // refused by the event schema, with the column named
  return body;
}

export class ImportFormatError extends Error {}

/** The rows of an export: JSON (an array, or `{"events": [...]}`) when it starts with `[` or `{`, CSV otherwise. */
export function importRows(text: string): Record<string, unknown>[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new ImportFormatError('the file is empty');
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new ImportFormatError(`not valid JSON: ${(err as Error).message}`);
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { events?: unknown }).events;
    if (!Array.isArray(rows)) throw new ImportFormatError('JSON must be an array of events, or {"events": [...]}');
    return rows.map((r) =>
      r && typeof r === 'object' && !Array.isArray(r) ? withId(r as Record<string, unknown>) : { row: r },
    );
  }
  let records: Record<string, string>[];
  try {
    records = parse<Record<string, string>>(trimmed, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new ImportFormatError(`not valid CSV: ${(err as Error).message}`);
  }
  return records.map((r) => withId(fromCsvRecord(r)));
}
