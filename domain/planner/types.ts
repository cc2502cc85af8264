// domain/planner/types.ts: desired and applied state per (identity, app), and the steps that converge one app.
// These cross into workflow histories, so they carry ids, names and hashes only, never resource bodies.

export type AccountTarget = 'active' | 'disabled' | 'absent';

/**
 * What scimflow knows of an identity's account in one app:
 * - `pending`: a create was intended (recorded before the call); the app may or may not hold the account;
 * - `active` / `disabled`: the account exists (remoteId) in that state;
 * - `deleted`: the account is gone, or a leaver's search found none.
 */
export type AppliedAccountState = 'pending' | 'active' | 'disabled' | 'deleted';

export type IdentityStatus = 'active' | 'inactive' | 'deleted' | 'unknown';

export interface DesiredApp {
  appId: string;
  appName: string;
  account: AccountTarget;
  /** Hash of the account spec (activities rebuild the spec itself from the store). */
  specHash: string;
  entitlements: string[];
  onGrantFailure: 'rollback' | 'keep';
  /** How a leaver is removed from this app: keep the account disabled, or delete it. */
  deprovision: 'disable' | 'delete';
}

export interface DesiredState {
  directoryId: string;
  identityId: string;
  /** The userName, cut to what a search attribute holds (display only; activities read the real one). */
  label: string;
  /** 'active' (joiner/mover), 'inactive' (active=false), 'deleted' (DELETE), 'unknown' (no such identity). */
  status: IdentityStatus;
  apps: DesiredApp[];
  latestSeq: number;
  deactivatedAt: string | null;
  deactivatedSeq: number | null;
  /** Access is held off although the IdP says active: HR's termination or leave, a service's revocation or expiry. */
  hold?: 'terminated' | 'on-leave' | 'revoked' | 'expired';
  /** The next instant this state changes by itself (an effective date, an expiry): the workflow's timer. */
  nextChangeAt?: string;
  /** A non-human identity (service account, API key, agent). */
  kind?: 'service';
  /** A non-human identity past its rotation deadline. */
  rotationOverdue?: boolean;
  /** Active non-human identities this person owns (handed on when they leave). */
  ownsNhis?: number;
}

export interface AppliedApp {
  appId: string;
  remoteId: string | null;
  state: AppliedAccountState;
  specHash: string | null;
  entitlements: string[];
  /**
   * Of `entitlements`: grants recorded before their call that the app has not confirmed (the call failed or its answer
   * was lost). Held as far as revocations go, still to be granted while wanted. Absent means none (and in histories
   * recorded before it existed).
   */
  unconfirmedEntitlements?: string[];
  /** The app was read back and confirmed the account disabled or gone (cleared when it is enabled again). */
  revocationVerified: boolean;
}

/** Steps that remove access: never compensated, retried until done, always verified by reading the app back. */
export type RevokeStep =
  { kind: 'revokeAccount'; mode: 'disable' | 'delete' } | { kind: 'revokeEntitlements'; entitlements: string[] };

/** Steps that give access: cancellable by a newer change, compensable when the app refuses one. */
export type GrantStep =
  | { kind: 'provisionAccount'; specHash: string; create: boolean }
  | { kind: 'grantEntitlements'; entitlements: string[] };

export type AppStep = RevokeStep | GrantStep;

/** One app's converging steps: every revocation first (access goes before anything is added), then the grants. */
export interface AppPlan {
  appId: string;
  revoke: RevokeStep[];
  grant: GrantStep[];
}

export type LifecycleLabel = 'joiner' | 'mover' | 'leaver' | 'steady';
