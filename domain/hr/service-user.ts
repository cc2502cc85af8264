// domain/hr/service-user.ts: pure: which SCIM users an IdP pushed are non-human identities, and who owns them.
import { ENTERPRISE_URN } from './match';

export const NHI_KINDS = ['service-account', 'api-key', 'agent'] as const;
export type NhiKind = (typeof NHI_KINDS)[number];

/**
 * IdPs mark service accounts with `userType` (Entra: "Service", Okta and others: free text). These spellings map to an
 * NHI kind; anything else is a person.
 */
const USER_TYPES: Record<string, NhiKind> = {
  service: 'service-account',
  serviceaccount: 'service-account',
  'service-account': 'service-account',
  service_account: 'service-account',
  bot: 'agent',
  agent: 'agent',
  apikey: 'api-key',
  'api-key': 'api-key',
  api_key: 'api-key',
};

/** The NHI kind and owner (the manager's SCIM id) of a user the IdP pushed as a service, or undefined for a person. */
export function serviceUserOf(doc: Record<string, unknown>): { kind: NhiKind; ownerId: string | null } | undefined {
  const userType = typeof doc.userType === 'string' ? doc.userType.trim().toLowerCase().replace(/\s+/g, '') : '';
  const kind = Object.hasOwn(USER_TYPES, userType) ? USER_TYPES[userType] : undefined;
  if (!kind) return undefined;
  const manager = (doc[ENTERPRISE_URN] as Record<string, unknown> | undefined)?.manager as
    { value?: unknown } | undefined;
  return { kind, ownerId: typeof manager?.value === 'string' && manager.value !== '' ? manager.value : null };
}
