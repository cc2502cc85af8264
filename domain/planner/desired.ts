// domain/planner/desired.ts: pure: an identity's facts (user, groups, policy, apps) → the state every app should hold.
import type { AccountSpec } from '../accounts/account-spec';
import { accountSpecFromUser, specHashInput } from '../accounts/account-spec';
import { evaluatePolicy } from '../policy/evaluate';
import { factsFromUser } from '../policy/facts';
import type { Policy } from '../policy/policy';
import type { HrStatus } from '../hr/status';
import { hrHold } from '../hr/status';
import { withHrAttributes } from '../hr/match';
import type { DesiredApp, DesiredState, IdentityStatus } from './types';

/** Keyword search attributes hold at most 255 characters in Temporal's SQL visibility stores. */
export const LABEL_MAX_CHARS = 255;

export interface StoredIdentity {
  type: string;
  doc: Record<string, unknown>;
  active: boolean;
  deletedAt: string | null;
  deactivatedAt: string | null;
  deactivatedSeq: number | null;
}

export interface ConfiguredApp {
  id: string;
  name: string;
  deprovision: 'disable' | 'delete';
  /** Being removed with its accounts deprovisioned (`app remove --accounts deprovision`): nobody keeps access. */
  removing?: boolean;
}

export interface IdentityFactsInput {
  directoryId: string;
  identityId: string;
  /** The stored resource in any state (deleted ones too), or undefined when there is none. */
  resource: StoredIdentity | undefined;
  /** Display names of the groups the user is a member of. */
  groups: string[];
  policy: Policy;
  apps: ConfiguredApp[];
  latestSeq: number;
  /** What HR says of this person now (terminations win over the IdP; movers' attributes replace the IdP's). */
  hr?: HrStatus;
  /** A non-human identity: its declared accounts replace the policy; its expiry and revocation hold access off. */
  service?: ServiceFacts;
  /** Active non-human identities this person owns (a leaver's workflow hands them on). */
  ownsNhis?: number;
}

export interface ServiceFacts {
  /** App name → entitlements it declares; undefined: the policy decides (an NHI the IdP pushed as a user). */
  bundles?: Record<string, string[]>;
  /** Revoked (by an operator, or because its owner left): when, and its log event. */
  revoked: { at: string; seq: number } | null;
  expiresAt: string | null;
  rotateBy: string | null;
  /** The instant the facts were read at (expiry and rotation are judged at it). */
  now: string;
}

export interface Desired {
  state: DesiredState;
  /** The account spec apps receive (activities only: it never enters a workflow history). */
  spec: AccountSpec | undefined;
}

/**
 * Cuts a string to at most `max` UTF-16 code units without splitting a surrogate pair, marking the cut with "…".
 * Used for search attributes and other display copies of values an IdP may have made arbitrarily long.
 */
export function truncateLabel(value: string, max: number = LABEL_MAX_CHARS): string {
  if (value.length <= max) return value;
  let end = max - 1;
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1; // do not keep half of a surrogate pair
  return `${value.slice(0, end)}…`;
}

export function statusOf(resource: StoredIdentity | undefined): IdentityStatus {
  if (!resource || resource.type !== 'User') return 'unknown';
  if (resource.deletedAt) return 'deleted';
  return resource.active ? 'active' : 'inactive';
}

/** Desired state from facts; `hash` turns a spec's hash input into its hash (crypto lives outside domain/). */
export function desiredFromFacts(facts: IdentityFactsInput, hash: (text: string) => string): Desired {
  const status = statusOf(facts.resource);
  const base = {
    directoryId: facts.directoryId,
    identityId: facts.identityId,
    latestSeq: facts.latestSeq,
    deactivatedAt: null,
    deactivatedSeq: null,
  };
  const resource = facts.resource;
  if (status === 'unknown' || !resource) return { state: { ...base, label: '', status, apps: [] }, spec: undefined };
  const hold = status === 'active' ? holdOf(facts) : null;
  const effective = hold ? 'inactive' : status;
  const doc = facts.hr ? withHrAttributes(resource.doc, facts.hr.attributes) : resource.doc;

  const bundles =
    effective !== 'active'
      ? {}
      : facts.service?.bundles
        ? facts.service.bundles
        : evaluatePolicy(
            facts.policy,
            factsFromUser(doc, facts.groups),
            facts.apps.map((a) => a.name),
          );
  const spec = accountSpecFromUser(doc, effective === 'active');
  const specHash = hash(specHashInput(spec));
  const apps: DesiredApp[] = facts.apps.map((app) => {
    // App names are free text: an app named `constructor` or `toString` must not read Object.prototype.
    const entitlements = !app.removing && Object.hasOwn(bundles, app.name) ? bundles[app.name] : undefined;
    const appPolicy = Object.hasOwn(facts.policy.apps, app.name) ? facts.policy.apps[app.name] : undefined;
    return {
      appId: app.id,
      appName: app.name,
      account: entitlements ? 'active' : app.deprovision === 'delete' ? 'absent' : 'disabled',
      specHash,
      entitlements: entitlements ?? [],
      onGrantFailure: appPolicy?.onGrantFailure ?? 'rollback',
      deprovision: app.deprovision,
    };
  });
  const inactive = effective !== 'active';
  const nextChangeAt = nextChangeOf(facts);
  const rotationOverdue = facts.service?.rotateBy ? facts.service.rotateBy <= facts.service.now : undefined;
  return {
    state: {
      ...base,
      label: truncateLabel(spec.userName),
      status: effective,
      apps,
      deactivatedAt: hold ? hold.at : inactive ? resource.deactivatedAt : null,
      deactivatedSeq: hold ? hold.seq : inactive ? resource.deactivatedSeq : null,
      // Only set when there is something to say, so states (and histories) from before HR and NHIs stay the same.
      ...(hold ? { hold: hold.reason } : {}),
      ...(nextChangeAt ? { nextChangeAt } : {}),
      ...(facts.service ? { kind: 'service' as const, rotationOverdue: rotationOverdue ?? false } : {}),
      ...(facts.ownsNhis ? { ownsNhis: facts.ownsNhis } : {}),
    },
    spec,
  };
}

/** Why access is held off although the IdP says active: HR (termination, leave), or a service's revocation or expiry. */
function holdOf(facts: IdentityFactsInput): { reason: HoldReason; at: string; seq: number } | null {
  const hr = facts.hr ? hrHold(facts.hr) : null;
  if (hr) return hr;
  const service = facts.service;
  if (service?.revoked) return { reason: 'revoked', ...service.revoked };
  if (service?.expiresAt && service.expiresAt <= service.now)
    return { reason: 'expired', at: service.expiresAt, seq: facts.latestSeq };
  return null;
}

/** The next instant the desired state changes by itself (an effective date, an expiry, a rotation deadline). */
function nextChangeOf(facts: IdentityFactsInput): string | undefined {
  const service = facts.service;
  const candidates = [
    facts.hr?.nextChangeAt ?? null,
    ...(service ? [service.expiresAt, service.rotateBy].filter((t) => t !== null && t > service.now) : []),
  ].filter((t): t is string => t !== null);
  return candidates.sort()[0];
}

export type HoldReason = 'terminated' | 'on-leave' | 'revoked' | 'expired';
