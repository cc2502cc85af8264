// workflows/legacy/types-v1.ts: the first planner's types, frozen with it (workflows/legacy/plan-v1.ts).

export type DesiredAccount = 'active' | 'disabled' | 'absent';
export type AppliedAccountState = 'active' | 'disabled' | 'deleted';

/** The account spec the app should hold, as the first planner carried it in the history. */
export interface AccountSpecView {
  userName: string;
  externalId?: string;
  active: boolean;
  displayName?: string;
  name?: { givenName?: string; familyName?: string; formatted?: string };
  emails?: { value: string; type?: string; primary?: boolean }[];
}

export interface DesiredApp {
  appId: string;
  appName: string;
  account: DesiredAccount;
  spec: AccountSpecView;
  specHash: string;
  entitlements: string[];
  onGrantFailure: 'rollback' | 'keep';
  /** How a leaver is removed from this app: keep the account disabled, or delete it. */
  deprovision: 'disable' | 'delete';
}

export interface DesiredState {
  directoryId: string;
  identityId: string;
  userName: string;
  /** 'active' (joiner/mover), 'inactive' (active=false), 'deleted' (DELETE), 'unknown' (no such identity). */
  status: 'active' | 'inactive' | 'deleted' | 'unknown';
  apps: DesiredApp[];
  latestSeq: number;
  deactivatedAt: string | null;
  deactivatedSeq: number | null;
}

export interface AppliedApp {
  appId: string;
  remoteId: string | null;
  state: AppliedAccountState;
  specHash: string | null;
  entitlements: string[];
}

export type PlanStep =
  | { kind: 'createAccount'; stepId: string; appId: string; spec: AccountSpecView; specHash: string }
  | { kind: 'updateAccount'; stepId: string; appId: string; spec: AccountSpecView; specHash: string }
  | { kind: 'grantEntitlement'; stepId: string; appId: string; entitlement: string }
  | { kind: 'revokeEntitlement'; stepId: string; appId: string; entitlement: string }
  | { kind: 'disableAccount'; stepId: string; appId: string; spec: AccountSpecView; specHash: string }
  | { kind: 'deleteAccount'; stepId: string; appId: string }
  | {
      kind: 'verifyRevoked';
      stepId: string;
      appId: string;
      entitlements: string[];
      expect: 'disabled' | 'deleted' | 'entitlements';
    };

export type LifecycleLabel = 'joiner' | 'mover' | 'leaver' | 'steady';

/** Input of the first planner's step activities (kept registered for steps in flight when a worker is upgraded). */
export interface StepInput {
  directoryId: string;
  identityId: string;
  seq: number;
  idempotencyKey: string;
  step: PlanStep;
  alertAfterAttempts?: number;
}
