// domain/reconcile/diff.ts: one scanned account against what scimflow wants and recorded → findings and the correction
// of scimflow's record that lets the identity's own workflow repair the app (pure).
import type { AppliedApp, DesiredApp, IdentityStatus } from '../planner/types';
import type { AccountSpec } from '../accounts/account-spec';
import type { OwnedAttribute } from './owned';
import { ownedDrift } from './owned';

export const FINDING_KINDS = [
  'orphans',
  'reenabledLeavers',
  'missingAccounts',
  'entitlementsAddedByHand',
  'entitlementsMissing',
  'attributesChanged',
  'adopted',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** What reconciliation does about a finding ('would-…' under --dry-run). */
export type RepairAction =
  'reported' | 'disabled' | 'deleted' | 'recreated' | 'revoked' | 'granted' | 'rewritten' | 'adopted';

export interface Finding {
  kind: FindingKind;
  userName: string;
  remoteId: string | null;
  action: RepairAction;
  identityId?: string;
  entitlements?: string[];
  attributes?: OwnedAttribute[];
}

/** The applied record as reconciliation corrects it: what the app really holds, so the planner plans the repair. */
export interface Correction {
  remoteId?: string | null;
  state?: AppliedApp['state'];
  specHash?: string | null;
  entitlements?: string[];
  revocationVerified?: boolean;
}

export interface ScannedView {
  remoteId: string;
  userName: string;
  active: boolean;
  attributes: Record<string, unknown>;
  /** Held entitlements among the managed ones. */
  entitlements: string[];
}

export interface IdentityView {
  identityId: string;
  status: IdentityStatus;
  /** What the identity should have in this app (undefined: nothing, e.g. outside the app's bundle). */
  want: DesiredApp | undefined;
  have: AppliedApp | undefined;
  spec: AccountSpec | undefined;
}

/** A spec hash no spec has: the planner sees a changed spec and rewrites the owned attributes. */
export const DRIFTED_SPEC = 'drifted-in-app';

/**
 * Diffs one account of the app that matched an identity. Leavers: an account usable again is re-disabled (or deleted),
 * entitlements added by hand are revoked. Active identities: owned attributes rewritten, entitlements added by hand
 * (managed ones only) revoked, recorded grants missing in the app granted again. An account scimflow never recorded
 * for this identity is adopted (the import of an app that held accounts before scimflow).
 */
export function diffAccount(
  account: ScannedView,
  identity: IdentityView,
): { findings: Finding[]; correction: Correction | null } {
  const { want, have, status, identityId } = identity;
  const base = { userName: account.userName, remoteId: account.remoteId, identityId };
  const findings: Finding[] = [];
  const correction: Correction = {};
  const recorded = have && have.remoteId === account.remoteId && have.state !== 'deleted' && have.state !== 'pending';
  if (!recorded) {
    // Not (or no longer) this identity's recorded account: adopt it, with what it really holds.
    findings.push({ ...base, kind: 'adopted', action: 'adopted' });
    Object.assign(correction, {
      remoteId: account.remoteId,
      state: account.active ? 'active' : 'disabled',
      specHash: null,
      entitlements: account.entitlements,
      revocationVerified: false,
    } satisfies Correction);
    if (!want || (want.account !== 'active' && account.active))
      findings.push({
        ...base,
        kind: 'reenabledLeavers',
        action: want?.deprovision === 'delete' ? 'deleted' : 'disabled',
      });
    return { findings, correction: want ? correction : null };
  }

  const recordedHeld = have.entitlements;
  if (want?.account === 'active') {
    const drift = identity.spec ? ownedDrift(identity.spec, account.attributes, true) : [];
    if (drift.length > 0) {
      findings.push({ ...base, kind: 'attributesChanged', action: 'rewritten', attributes: drift });
      correction.specHash = DRIFTED_SPEC;
      if (drift.includes('active')) correction.state = 'disabled';
    }
    const byHand = account.entitlements.filter((e) => !want.entitlements.includes(e));
    const missing = recordedHeld.filter((e) => want.entitlements.includes(e) && !account.entitlements.includes(e));
    if (byHand.length > 0)
      findings.push({ ...base, kind: 'entitlementsAddedByHand', action: 'revoked', entitlements: byHand });
    if (missing.length > 0)
      findings.push({ ...base, kind: 'entitlementsMissing', action: 'granted', entitlements: missing });
    if (byHand.length > 0 || missing.length > 0)
      correction.entitlements = [...new Set([...recordedHeld.filter((e) => !missing.includes(e)), ...byHand])].sort();
  } else if (want || status !== 'active') {
    // A leaver (or an app it must leave): the account must be unusable and hold nothing.
    if (account.active || want?.account === 'absent') {
      const action = want?.account === 'absent' || want?.deprovision === 'delete' ? 'deleted' : 'disabled';
      findings.push({ ...base, kind: 'reenabledLeavers', action });
      correction.state = 'active';
      correction.revocationVerified = false;
    }
    const byHand = account.entitlements.filter((e) => !recordedHeld.includes(e));
    if (byHand.length > 0) {
      findings.push({ ...base, kind: 'entitlementsAddedByHand', action: 'revoked', entitlements: byHand });
      correction.entitlements = [...new Set([...recordedHeld, ...byHand])].sort();
      correction.revocationVerified = false;
    }
  }
  return { findings, correction: Object.keys(correction).length > 0 ? correction : null };
}

/**
 * A recorded account the scan did not see: gone from the app. An identity that should have it gets it again (the
 * workflow's create looks the account up first, so an account the scan missed is adopted, never duplicated).
 */
export function diffMissing(
  userName: string,
  remoteId: string,
  identity: IdentityView,
): { findings: Finding[]; correction: Correction | null } {
  if (identity.want?.account !== 'active') return { findings: [], correction: null };
  return {
    findings: [{ kind: 'missingAccounts', userName, remoteId, identityId: identity.identityId, action: 'recreated' }],
    correction: { remoteId: null, state: 'deleted', specHash: null, entitlements: [], revocationVerified: false },
  };
}

/** The action an orphan gets from the app's setting. */
export function orphanAction(setting: 'report' | 'disable' | 'delete', active: boolean): RepairAction {
  if (setting === 'delete') return 'deleted';
  if (setting === 'disable' && active) return 'disabled';
  return 'reported';
}

export const wouldDo = (action: RepairAction): string => (action === 'reported' ? action : `would-${action}`);
