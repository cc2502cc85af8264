// workflows/contracts.ts: ids, messages, search attributes and I/O types shared by the API, the worker and the workflow.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { AppliedApp, DesiredState, LifecycleLabel, PlanStep } from '../domain/planner/types';

export const TASK_QUEUE = 'scimflow-identities';

export function identityWorkflowId(directoryId: string, identityId: string): string {
  return `identity/${directoryId}/${identityId}`;
}

export function parseIdentityWorkflowId(workflowId: string): { directoryId: string; identityId: string } | undefined {
  const match = /^identity\/([^/]+)\/([^/]+)$/.exec(workflowId);
  return match ? { directoryId: match[1]!, identityId: match[2]! } : undefined;
}

export const SEARCH_ATTRIBUTES = {
  directory: defineSearchAttributeKey('ScimflowDirectory', SearchAttributeType.KEYWORD),
  userName: defineSearchAttributeKey('ScimflowUserName', SearchAttributeType.KEYWORD),
  lifecycle: defineSearchAttributeKey('ScimflowLifecycle', SearchAttributeType.KEYWORD),
  exception: defineSearchAttributeKey('ScimflowException', SearchAttributeType.BOOL),
} as const;

/** The dev server registers these at start (name → type). */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Bool'> = {
  ScimflowDirectory: 'Keyword',
  ScimflowUserName: 'Keyword',
  ScimflowLifecycle: 'Keyword',
  ScimflowException: 'Bool',
};

/** Retry timing is injectable so tests on a dev server (no time skipping) run in seconds. */
export interface RetryTiming {
  initialIntervalMs: number;
  maximumIntervalMs: number;
  /** Attempts a grant gets for transient errors before it counts as failed (and this run's grants are rolled back). */
  grantMaximumAttempts: number;
  /** Attempts after which a revocation raises an operator alert (it keeps retrying regardless). */
  revocationAlertAfterAttempts: number;
  /** Start-to-close timeout of one downstream call; a killed worker's call is retried after this. */
  activityTimeoutMs: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = {
  initialIntervalMs: 1_000,
  maximumIntervalMs: 5 * 60_000,
  grantMaximumAttempts: 8,
  revocationAlertAfterAttempts: 5,
  activityTimeoutMs: 60_000,
};

export interface IdentityWorkflowInput {
  directoryId: string;
  identityId: string;
  /** Highest event sequence seen (carried across continue-as-new). */
  lastSeq: number;
  processedSeq?: number;
  dirty?: boolean;
  exception?: string;
  retry?: Partial<RetryTiming>;
}

export interface IdentityChanged {
  seq: number;
  /** A forced re-converge (operator resync/replay) even when `seq` was already seen. */
  force?: boolean;
}

export interface IdentityView {
  directoryId: string;
  identityId: string;
  lastSeq: number;
  processedSeq: number;
  lifecycle: LifecycleLabel | 'idle';
  exception: string | null;
  desired: DesiredState | null;
  applied: AppliedApp[];
  plan: PlanStep[];
}

export const identityChangedSignal = defineSignal<[IdentityChanged]>('identityChanged');
export const retryExceptionUpdate = defineUpdate<{ retried: boolean }, []>('retryException');
export const resyncUpdate = defineUpdate<{ accepted: boolean }, []>('resync');
export const identityQuery = defineQuery<IdentityView>('identity');

/** Every activity input carries the key a downstream call uses to stay idempotent across retries. */
export interface StepInput {
  directoryId: string;
  identityId: string;
  seq: number;
  idempotencyKey: string;
  step: PlanStep;
  alertAfterAttempts?: number;
}

export interface IdentityKey {
  directoryId: string;
  identityId: string;
}
