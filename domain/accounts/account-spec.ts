// domain/accounts/account-spec.ts: what scimflow wants an app account to look like, and how it is derived from a SCIM user.
import { z } from 'zod';

export const AccountSpecSchema = z.object({
  userName: z.string().min(1),
  externalId: z.string().optional(),
  active: z.boolean(),
  displayName: z.string().optional(),
  name: z
    .object({ givenName: z.string().optional(), familyName: z.string().optional(), formatted: z.string().optional() })
    .optional(),
  emails: z
    .array(z.object({ value: z.string(), type: z.string().optional(), primary: z.boolean().optional() }))
    .optional(),
});
export type AccountSpec = z.infer<typeof AccountSpecSchema>;

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The projection of a SCIM user that apps receive: only attributes every SCIM app understands. */
export function accountSpecFromUser(doc: Record<string, unknown>, active: boolean): AccountSpec {
  const spec: AccountSpec = { userName: str(doc.userName) ?? '', active };
  const externalId = str(doc.externalId);
  if (externalId) spec.externalId = externalId;
  const displayName = str(doc.displayName);
  if (displayName) spec.displayName = displayName;
  const name = doc.name as Record<string, unknown> | undefined;
  if (name && typeof name === 'object') {
    const n = { givenName: str(name.givenName), familyName: str(name.familyName), formatted: str(name.formatted) };
    const kept = Object.fromEntries(Object.entries(n).filter(([, v]) => v !== undefined));
    if (Object.keys(kept).length > 0) spec.name = kept;
  }
  if (Array.isArray(doc.emails)) {
    const emails = (doc.emails as Record<string, unknown>[])
      .filter((e) => typeof e?.value === 'string')
      .map((e) => {
        const email: { value: string; type?: string; primary?: boolean } = { value: e.value as string };
        if (typeof e.type === 'string') email.type = e.type;
        if (e.primary === true) email.primary = true;
        return email;
      });
    if (emails.length > 0) spec.emails = emails;
  }
  return spec;
}

/**
 * The text a spec's hash is taken over: everything but `active` (activation is planned from state, not from the hash).
 * The hash itself is computed by the caller (domain code has no crypto).
 */
export function specHashInput(spec: AccountSpec): string {
  const { active: _active, ...rest } = spec;
  return JSON.stringify(rest);
}
