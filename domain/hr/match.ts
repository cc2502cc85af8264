// domain/hr/match.ts: pure: the values of a SCIM user an HR event can name it by, and HR's attribute overlay.
import type { MatchKey, MoverChanges } from './events';

export const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Every (key, case-folded value) a user can be matched by: an HR event naming any of them is this person's. */
export function matchValuesOf(doc: Record<string, unknown>): { key: MatchKey; value: string }[] {
  const out: { key: MatchKey; value: string }[] = [];
  const add = (key: MatchKey, v: unknown) => {
    const s = str(v);
    if (s) out.push({ key, value: s.toLowerCase() });
  };
  add('userName', doc.userName);
  add('externalId', doc.externalId);
  add('employeeNumber', (doc[ENTERPRISE_URN] as Record<string, unknown> | undefined)?.employeeNumber);
  if (Array.isArray(doc.emails))
    for (const email of doc.emails) add('email', (email as Record<string, unknown> | null)?.value);
  return out;
}

/** The user document as HR says it is now: a mover's department, title and manager replace the IdP's. */
export function withHrAttributes(doc: Record<string, unknown>, changes: MoverChanges): Record<string, unknown> {
  if (Object.keys(changes).length === 0) return doc;
  const enterprise = { ...((doc[ENTERPRISE_URN] as Record<string, unknown> | undefined) ?? {}) };
  const out: Record<string, unknown> = { ...doc };
  if (changes.title !== undefined) {
    if (changes.title === null) delete out.title;
    else out.title = changes.title;
  }
  if (changes.department !== undefined) {
    if (changes.department === null) delete enterprise.department;
    else enterprise.department = changes.department;
  }
  if (changes.manager !== undefined) {
    if (changes.manager === null) delete enterprise.manager;
    else enterprise.manager = { value: changes.manager };
  }
  out[ENTERPRISE_URN] = enterprise;
  return out;
}
