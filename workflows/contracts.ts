// workflows/contracts.ts: ids, messages, search attributes and I/O types shared by the API, the worker and the workflow.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type {
  AppliedApp,
  AppPlan,
  AppStep,
  DesiredState,
  GrantStep,
  LifecycleLabel,
  RevokeStep,
} from '../domain/planner/types';

export const TASK_QUEUE = 'scimflow-identities';

export function identityWorkflowId(directoryId: string, identityId: string): string {
  return `identity/${directoryId}/${identityId}`;
}

export const SEARCH_ATTRIBUTES = {
  directory: defineSearchAttributeKey('ScimflowDirectory', SearchAttributeType.KEYWORD),
  userName: defineSearchAttributeKey('ScimflowUserName', SearchAttributeType.KEYWORD),
  lifecycle: defineSearchAttributeKey('ScimflowLifecycle', SearchAttributeType.KEYWORD),
  exception: defineSearchAttributeKey('ScimflowException', SearchAttributeType.BOOL),
  /** Since when a step has kept failing in some app (a revocation retried for ever, a refused grant); unset when none. */
  blockedSince: defineSearchAttributeKey('ScimflowBlockedSince', SearchAttributeType.DATETIME),
  /** When this identity's state next changes by itself: a future-dated termination or leave, an NHI's expiry. */
  nextChangeAt: defineSearchAttributeKey('ScimflowNextChangeAt', SearchAttributeType.DATETIME),
  /** A non-human identity past its rotation deadline. */
  rotationOverdue: defineSearchAttributeKey('ScimflowRotationOverdue', SearchAttributeType.BOOL),
} as const;

/** The dev server registers these at start (name → type); workers and the API add missing ones to other servers. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Bool' | 'Datetime'> = {
  ScimflowDirectory: 'Keyword',
  ScimflowUserName: 'Keyword',
  ScimflowLifecycle: 'Keyword',
  ScimflowException: 'Bool',
  ScimflowBlockedSince: 'Datetime',
  ScimflowNextChangeAt: 'Datetime',
  ScimflowRotationOverdue: 'Bool',
};

/** Retry timing is injectable so tests on a dev server (no time skipping) run in seconds. */
export interface RetryTiming {
  initialIntervalMs: number;
  maximumIntervalMs: number;
  /**
   * Attempts after which a grant failing transiently counts as blocked: visible (search attribute, `report exceptions`)
   * and retried for ever in rounds of this many attempts, one maximum interval apart. Only a refusal rolls back.
   */
  grantMaximumAttempts: number;
  /**
   * Attempts after which a revocation counts as blocked: visible (search attribute, `report exceptions`, its age) and
   * retried for ever in rounds of this many attempts, one maximum interval apart.
   */
  revocationAlertAfterAttempts: number;
  /** Start-to-close timeout of one downstream call. */
  activityTimeoutMs: number;
  /** A worker that stops heartbeating for this long is taken as lost, and its activity is retried elsewhere. */
  heartbeatTimeoutMs: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = {
  initialIntervalMs: 1_000,
  maximumIntervalMs: 5 * 60_000,
  grantMaximumAttempts: 8,
  revocationAlertAfterAttempts: 5,
  activityTimeoutMs: 60_000,
  heartbeatTimeoutMs: 10_000,
};

/** History length past which the workflow continues as new (Temporal's own suggestion may come later). */
export const DEFAULT_HISTORY_BUDGET = 5_000;

/** What one app's convergence carries across continue-as-new: its visible failure, and since when it lasts. */
export interface LaneCarry {
  exception?: string;
  blockedKind?: 'revocation' | 'grant' | 'exception';
  blockedSince?: string;
  blockedReason?: string;
}

export interface IdentityWorkflowInput {
  directoryId: string;
  identityId: string;
  /** Highest event sequence seen (carried across continue-as-new). */
  lastSeq: number;
  processedSeq?: number;
  dirty?: boolean;
  exception?: string;
  retry?: Partial<RetryTiming>;
  /** Continue as new past this many history events (tests set it low). */
  historyBudget?: number;
  /** Per-app state carried across continue-as-new, by app id. */
  lanes?: Record<string, LaneCarry>;
  /** A leaver's revocation not yet recorded as verified in every app (carried across continue-as-new). */
  revocation?: PendingRevocation;
  /** When the state next changes by itself (an effective date, an expiry): the timer, carried across continue-as-new. */
  wakeAt?: string;
}

export interface IdentityChanged {
  seq: number;
  /** A forced re-converge (operator resync/replay/retry) even when `seq` was already seen. */
  force?: boolean;
  /** The SCIM or HR request (X-Request-Id) that recorded the change. */
  requestId?: string;
}

export interface AppView {
  appId: string;
  plan: AppPlan | null;
  exception: string | null;
  blockedKind: 'revocation' | 'grant' | 'exception' | null;
  blockedSince: string | null;
  blockedReason: string | null;
  /** A downstream call of this app is in flight. */
  busy: boolean;
}

export interface IdentityView {
  directoryId: string;
  identityId: string;
  lastSeq: number;
  processedSeq: number;
  lifecycle: LifecycleLabel | 'idle';
  exception: string | null;
  /** The request (X-Request-Id) behind the newest change this run was told about, when it came from one. */
  lastRequestId: string | null;
  desired: DesiredState | null;
  applied: AppliedApp[];
  apps: AppView[];
}

export const identityChangedSignal = defineSignal<[IdentityChanged]>('identityChanged');
export const retryExceptionUpdate = defineUpdate<{ retried: boolean }, []>('retryException');
export const identityQuery = defineQuery<IdentityView>('identity');

export interface IdentityKey {
  directoryId: string;
  identityId: string;
}

/** Input of every per-app step activity: ids, the step, and the key a downstream call uses to stay idempotent. */
export interface AppStepInput<S extends AppStep = AppStep> extends IdentityKey {
  appId: string;
  seq: number;
  /** `<workflowId>/<seq>/<appId>/<step>`: the same for every retry of the step. */
  idempotencyKey: string;
  step: S;
}

export type RevokeInput = AppStepInput<RevokeStep>;
export type GrantInput = AppStepInput<GrantStep>;

/** `superseded`: the identity's desired state changed since the plan (the lane re-plans instead of granting). */
export interface GrantResult {
  outcome: 'done' | 'superseded';
  /** The step made the account scimflow's in this run (created, or adopted by the match order). */
  accountCreated: boolean;
}

export interface CompensationInput extends IdentityKey {
  appId: string;
  seq: number;
  idempotencyKey: string;
  entitlements: string[];
  /** Disable (or delete) the account too: this run created it. */
  account: boolean;
}

/** A departure whose time to revoke is recorded once every app verified it. */
export interface PendingRevocation {
  seq: number;
  requestedAt: string;
  /** Known already (see IdentitySnapshot.unrecordedRevocation); otherwise the moment it is recorded. */
  verifiedAt?: string;
}

export interface IdentitySnapshot {
  desired: DesiredState;
  applied: AppliedApp[];
  /**
   * The identity left, its accounts were revoked and verified (audit `revocation.verified` at or after the departure's
   * seq, the newest at `verifiedAt`), but no time-to-revoke record exists: the workflow task that did it was lost (timed
   * out on a starved worker) after its local activities had acted. Absent in histories recorded before it existed.
   */
  unrecordedRevocation?: { verifiedAt: string };
}

/** Failure types a step is never retried on: a human has to decide (an ambiguous account match). */
export const NEEDS_A_HUMAN = ['AmbiguousAccountError'];
/** A permanent "no" from an app: a grant is not retried on it (a revocation is, for ever). */
export const REFUSED = ['DownstreamRejectedError'];

/** A group write in a webhook app's directory: the API signals its group feed (signal-with-start) to look now. */
export const groupsChangedSignal = defineSignal('groupsChanged');

/** The group feed of one webhook app (workflows/group-feed.ts). */
export const groupFeedWorkflowId = (appId: string) => `group-feed/${appId}`;
