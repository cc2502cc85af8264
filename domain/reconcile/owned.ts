// domain/reconcile/owned.ts: which attributes scimflow owns in an app, and which of them the app holds differently.
import type { AccountSpec } from '../accounts/account-spec';

/** The attributes scimflow writes (its account spec); every other attribute of an app's account is the app's own. */
export const OWNED_ATTRIBUTES = ['userName', 'externalId', 'displayName', 'name', 'emails', 'active'] as const;
export type OwnedAttribute = (typeof OWNED_ATTRIBUTES)[number];

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const lower = (v: unknown) => str(v)?.toLowerCase();

interface Email {
  value: string;
  type?: string;
  primary?: boolean;
}

/** Emails compared as a set of (value case-insensitively, type, primary), the way apps reorder and re-case them. */
function sameEmails(want: Email[] | undefined, have: unknown): boolean {
  const key = (e: { value?: unknown; type?: unknown; primary?: unknown }) =>
    `${lower(e.value) ?? ''}|${str(e.type) ?? ''}|${e.primary === true}`;
  const wanted = (want ?? []).map(key).sort();
  const held = (Array.isArray(have) ? (have as Record<string, unknown>[]) : [])
    .filter((e) => e && typeof e === 'object')
    .map(key)
    .sort();
  return wanted.length === held.length && wanted.every((k, i) => k === held[i]);
}

/**
 * The owned attributes whose value in the app differs from the spec (`active` against `wantActive`). Only what the
 * spec sets is compared inside `name` (an app may compute `formatted`); userName and email values case-insensitively
 * (SCIM compares them so). An attribute the spec leaves out is not scimflow's to judge.
 */
export function ownedDrift(spec: AccountSpec, remote: Record<string, unknown>, wantActive: boolean): OwnedAttribute[] {
  const drift: OwnedAttribute[] = [];
  if (lower(remote.userName) !== spec.userName.toLowerCase()) drift.push('userName');
  if (spec.externalId !== undefined && str(remote.externalId) !== spec.externalId) drift.push('externalId');
  if (spec.displayName !== undefined && str(remote.displayName) !== spec.displayName) drift.push('displayName');
  if (spec.name) {
    const held = (remote.name && typeof remote.name === 'object' ? remote.name : {}) as Record<string, unknown>;
    const keys = Object.keys(spec.name) as (keyof NonNullable<AccountSpec['name']>)[];
    if (keys.some((k) => str(held[k]) !== spec.name![k])) drift.push('name');
  }
  if (spec.emails && !sameEmails(spec.emails, remote.emails)) drift.push('emails');
  // `active` is optional in RFC 7643: an app that does not keep it has every account usable.
  const active = remote.active === undefined || remote.active === null ? true : remote.active === true;
  if (active !== wantActive) drift.push('active');
  return drift;
}
