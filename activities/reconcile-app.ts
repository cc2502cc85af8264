// activities/reconcile-app.ts: reads an app whole, diffs it against desired state, and repairs through the identities'
// own workflows (or, for orphans, directly), then verifies. The CLI runs it; so can a scheduled workflow's activity.
import crypto from 'node:crypto';
import type { Connector, ScannedAccount } from '../connectors/connector';
import type { Correction, Finding, FindingKind, IdentityView } from '../domain/reconcile/diff';
import { FINDING_KINDS, diffAccount, diffMissing, orphanAction, wouldDo } from '../domain/reconcile/diff';
import { isEmptyPlan, planApp } from '../domain/planner/plan';
import { parsePolicy, DEFAULT_POLICY } from '../domain/policy/policy';
import { refreshCapabilities } from './app-capabilities';
import type { AppRow } from '../store/directories';
import { describeTrip, guardOf, trips } from '../domain/apps/mass-change';
import type { Stores } from '../store';
import { loadDesired } from '../store/desired-state';
import type { EventRow } from '../store/event-log';
import type { AppliedAccount } from '../store/applied-state';

export const ORPHAN_SETTINGS = ['report', 'disable', 'delete'] as const;
export type OrphanSetting = (typeof ORPHAN_SETTINGS)[number];

export interface ReconcileOptions {
  appId: string;
  dryRun: boolean;
  /** Accounts asked per page (apps may answer fewer). */
  pageSize?: number;
  /** Signals the identities of the recorded events (the CLI's deliver); leavers first. */
  deliver?: (events: EventRow[], leavers: Set<string>) => Promise<void>;
  /** How long to wait for the repairs to be verified (default 5 minutes). */
  verifyTimeoutMs?: number;
  progress?: (line: string) => void;
  /** Orphan disables/deletes an operator approved (`scimflow approve`): up to this many pass the mass-change guard. */
  approvedOrphans?: number;
}

export interface ReconcileError {
  userName?: string;
  remoteId?: string;
  error: string;
}

export type ReportedFinding = Omit<Finding, 'kind' | 'action'> & { action: string };

export interface ReconcileReport {
  appId: string;
  directoryId: string;
  dryRun: boolean;
  runId: string;
  scanned: { accounts: number; groups: number };
  orphans: ReportedFinding[];
  reenabledLeavers: ReportedFinding[];
  missingAccounts: ReportedFinding[];
  entitlementsAddedByHand: ReportedFinding[];
  entitlementsMissing: ReportedFinding[];
  attributesChanged: ReportedFinding[];
  /** Accounts scimflow had not recorded that matched an identity (the import of an app that held accounts). */
  adopted: ReportedFinding[];
  errors: ReconcileError[];
  /** Set when the mass-change guard held the orphans' disables/deletes (they are reported only, until approved). */
  held: { change: string | null; reason: string } | null;
  seconds: number;
}

/** The entitlements scimflow manages in an app: any the policy grants there, and any it recorded granting. */
async function managedEntitlements(
  stores: Stores,
  directoryId: string,
  appId: string,
  appName: string,
): Promise<string[]> {
  const stored = await stores.policies.latest(directoryId);
  const policy = stored ? parsePolicy(stored.policy) : DEFAULT_POLICY;
  const fromPolicy = policy.rules.flatMap((r) =>
    r.grant.filter((g) => g.app === appName).flatMap((g) => g.entitlements),
  );
  const recorded = await stores.drift.recordedEntitlements(appId);
  return [...new Set([...fromPolicy, ...recorded])].sort();
}

export async function reconcileApp(
  stores: Stores,
  connector: Connector,
  opts: ReconcileOptions,
): Promise<ReconcileReport> {
  const started = Date.now();
  const app = await stores.directories.getApp(opts.appId);
  if (!app) throw new Error(`app ${opts.appId} not found`);
  const directoryId = app.directoryId;
  const setting: OrphanSetting = ORPHAN_SETTINGS.includes(app.config.orphans as OrphanSetting)
    ? (app.config.orphans as OrphanSetting)
    : 'report';
  const run = { id: crypto.randomUUID(), directoryId, appId: app.id };
  const log = opts.progress ?? (() => undefined);
  if (!opts.dryRun) {
    const said = await refreshCapabilities(stores, connector, app); // a dry run writes nothing anywhere
    if (said) log(said);
  }
  const managed = await managedEntitlements(stores, directoryId, app.id, app.name);
  const holders = await connector.entitlementHolders(managed);
  const findings: Finding[] = [];
  const errors: ReconcileError[] = [];
  const corrections = new Map<string, Correction>();
  const seen = new Set<string>();
  const orphans: ScannedAccount[] = [];

  type View = IdentityView & { latestSeq: number; blocked: AppliedAccount['blocked'] };
  const viewOf = async (identityId: string): Promise<View | undefined> => {
    const desired = await loadDesired(stores, directoryId, identityId);
    if (desired.state.status === 'unknown') return undefined;
    const have = await stores.applied.get(directoryId, identityId, app.id);
    return {
      identityId,
      status: desired.state.status,
      want: desired.state.apps.find((a) => a.appId === app.id),
      have: have && { ...have, appId: app.id },
      spec: desired.spec,
      latestSeq: desired.state.latestSeq,
      blocked: have?.blocked ?? null,
    };
  };
  /** An identity whose workflow still has work (unprocessed events, a blocked step) is left to it this time. */
  const busy = async (view: View): Promise<string | undefined> => {
    const progress = await stores.applied.progress(directoryId, view.identityId);
    if ((progress?.processedSeq ?? 0) < view.latestSeq) return 'its workflow is converging; reconcile again later';
    if (view.blocked) return `its ${view.blocked.kind} in this app is blocked: ${view.blocked.reason}`;
    return undefined;
  };
  const take = async (
    view: View,
    result: ReturnType<typeof diffAccount>,
    who: Omit<ReconcileError, 'error'>,
  ): Promise<void> => {
    if (result.findings.length === 0) return;
    const why = await busy(view);
    if (why) {
      errors.push({ ...who, error: `${why} (${result.findings.map((f) => f.kind).join(', ')})` });
      return;
    }
    findings.push(...result.findings);
    if (result.correction) corrections.set(view.identityId, result.correction);
  };

  const identityOf = async (
    account: ScannedAccount,
    recorded: Map<string, string[]>,
  ): Promise<string | ReconcileError | undefined> => {
    const claimed = recorded.get(account.id) ?? [];
    if (claimed.length > 1)
      return { userName: account.userName, remoteId: account.id, error: `recorded for ${claimed.length} identities` };
    if (claimed.length === 1) return claimed[0];
    if (account.externalId) {
      const byExternal = await stores.drift.userByExternalId(directoryId, account.externalId);
      if (byExternal.length > 1)
        return {
          userName: account.userName,
          remoteId: account.id,
          error: `externalId matches ${byExternal.length} users`,
        };
      if (byExternal.length === 1) return byExternal[0];
    }
    // Live first, then the newest deleted identity of that userName (a leaver's account is not an orphan).
    return (await stores.resources.userIdentities(directoryId, account.userName))[0]?.id;
  };

  const pageSize = opts.pageSize ?? 100;
  let scanned = 0;
  for (let startIndex = 1; ;) {
    const page = await connector.listAccounts(startIndex, pageSize);
    if (page.accounts.length === 0) break;
    const recorded = new Map<string, string[]>();
    for (const r of await stores.drift.appliedByRemoteIds(
      app.id,
      page.accounts.map((a) => a.id),
    ))
      recorded.set(r.remoteId, [...(recorded.get(r.remoteId) ?? []), r.identityId]);
    for (const account of page.accounts) {
      if (seen.has(account.id)) continue; // an app whose pages shifted under the scan
      seen.add(account.id);
      const who = { userName: account.userName, remoteId: account.id };
      const match = await identityOf(account, recorded);
      if (typeof match === 'object') {
        errors.push(match);
        continue;
      }
      const view = match === undefined ? undefined : await viewOf(match);
      if (!view) {
        orphans.push(account);
        continue;
      }
      const held = (holders ? (holders.get(account.id) ?? []) : (account.entitlements ?? [])).filter((e) =>
        managed.includes(e),
      );
      const scannedView = {
        remoteId: account.id,
        userName: account.userName,
        active: account.active,
        attributes: account.attributes,
        entitlements: held,
      };
      await take(view, diffAccount(scannedView, view), who);
    }
    scanned += page.accounts.length;
    startIndex += page.accounts.length;
    if (scanned % 10_000 < page.accounts.length)
      log(`reconcile ${app.name}: scanned ${scanned}${page.totalResults ? `/${page.totalResults}` : ''} accounts`);
    if (page.totalResults !== null && startIndex > page.totalResults) break;
  }

  // Accounts scimflow recorded that the scan did not see: gone from the app.
  for (const { identityId, remoteId } of await stores.drift.recordedAccounts(app.id)) {
    if (seen.has(remoteId)) continue;
    const view = await viewOf(identityId);
    if (!view) continue;
    await take(view, diffMissing(view.spec?.userName ?? identityId, remoteId, view), {
      remoteId,
      userName: view.spec?.userName,
    });
  }
  const held = await guardOrphans(stores, app, orphans, setting, scanned, opts);
  if (held) log(`reconcile ${app.name}: ${held.reason}`);
  for (const account of orphans)
    findings.push({
      kind: 'orphans',
      userName: account.userName,
      remoteId: account.id,
      action: held ? 'reported' : orphanAction(setting, account.active),
    });

  if (!opts.dryRun) {
    await stores.drift.startRun({ ...run, dryRun: false });
    await repair(stores, connector, run, corrections, findings, errors, opts);
  }
  const report = summarise(
    run,
    opts.dryRun,
    { accounts: scanned, groups: holders ? managed.length : 0 },
    findings,
    errors,
    started,
    held,
  );
  if (!opts.dryRun) {
    await stores.drift.record(run, findings);
    await stores.drift.finishRun(run.id, { ...report, counts: countsOf(report) });
  }
  return report;
}

function summarise(
  run: { id: string; directoryId: string; appId: string },
  dryRun: boolean,
  scanned: ReconcileReport['scanned'],
  findings: Finding[],
  errors: ReconcileError[],
  started: number,
  held: ReconcileReport['held'],
): ReconcileReport {
  const of = (kind: FindingKind): ReportedFinding[] =>
    findings
      .filter((f) => f.kind === kind)
      .map(({ kind: _kind, action, ...rest }) => ({ ...rest, action: dryRun ? wouldDo(action) : action }));
  const lists = Object.fromEntries(FINDING_KINDS.map((k) => [k, of(k)])) as Record<FindingKind, ReportedFinding[]>;
  return {
    appId: run.appId,
    directoryId: run.directoryId,
    dryRun,
    runId: run.id,
    scanned,
    ...lists,
    errors,
    held,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/**
 * The mass-change guard: disabling or deleting more orphans than the app's guard allows is held (reported only) until an
 * operator approves it; a held change is recorded (not under --dry-run) for `scimflow approve --change ID`.
 */
async function guardOrphans(
  stores: Stores,
  app: AppRow,
  orphans: ScannedAccount[],
  setting: OrphanSetting,
  scanned: number,
  opts: ReconcileOptions,
): Promise<ReconcileReport['held']> {
  const acting = orphans.filter((o) => orphanAction(setting, o.active) !== 'reported').length;
  const guard = guardOf(app.config);
  if (acting <= (opts.approvedOrphans ?? 0) || !trips(guard, acting, scanned)) return null;
  const reason = `${describeTrip('this reconcile', app.name, acting, scanned, guard!)}: the orphans are reported only`;
  if (opts.dryRun) return { change: null, reason };
  const change = await stores.held.hold({
    directoryId: app.directoryId,
    appId: app.id,
    kind: 'reconcile-orphans',
    reason,
    affected: acting,
    payload: { orphans: setting },
  });
  return { change: change.id, reason: `${reason}; approve with: scimflow approve --change ${change.id}` };
}

/** How many findings of each kind a report holds (what a run's summary and a scheduled run's result keep). */
export const countsOf = (report: ReconcileReport): Record<FindingKind, number> =>
  Object.fromEntries(FINDING_KINDS.map((k) => [k, report[k].length])) as Record<FindingKind, number>;

/**
 * Corrects scimflow's record of each drifted identity and records an event for it, in one transaction; signals them
 * (leavers first); handles orphans as the app says; then waits until every repair is verified (the identity's workflow
 * processed the event and has nothing left to do in this app). What is not verified in time is listed in `errors`.
 */
async function repair(
  stores: Stores,
  connector: Connector,
  run: { id: string; directoryId: string; appId: string },
  corrections: Map<string, Correction>,
  findings: Finding[],
  errors: ReconcileError[],
  opts: ReconcileOptions,
): Promise<void> {
  const { directoryId, appId } = run;
  const leavers = new Set(
    findings.filter((f) => f.kind === 'reenabledLeavers' && f.identityId).map((f) => f.identityId!),
  );
  const events = await stores.atomically(async () => {
    for (const [identityId, correction] of corrections) {
      await stores.applied.save(directoryId, identityId, appId, correction);
      await stores.applied.audit({
        directoryId,
        identityId,
        appId,
        action: 'reconcile.drift',
        detail: {
          runId: run.id,
          findings: findings.filter((f) => f.identityId === identityId).map((f) => f.kind),
        },
      });
    }
    return stores.events.append(
      directoryId,
      [...corrections.keys()].map((identityId) => ({
        identityId,
        resourceType: 'User' as const,
        kind: 'resync' as const,
        detail: { reason: 'reconcile', appId, runId: run.id },
      })),
      new Date().toISOString(),
    );
  });
  if (events.length > 0) await opts.deliver?.(events, leavers);

  for (const finding of findings.filter((f) => f.kind === 'orphans' && f.action !== 'reported')) {
    const key = `reconcile/${run.id}/${finding.remoteId}`;
    try {
      if (finding.action === 'deleted') await connector.deleteAccount(finding.remoteId!, { idempotencyKey: key });
      else await connector.disableAccount(finding.remoteId!, { idempotencyKey: key });
      const after = await connector.getAccount(finding.remoteId!);
      if (finding.action === 'deleted' ? after !== undefined : after?.active !== false)
        errors.push({
          userName: finding.userName,
          remoteId: finding.remoteId!,
          error: `orphan not ${finding.action} on read-back`,
        });
    } catch (err) {
      errors.push({ userName: finding.userName, remoteId: finding.remoteId!, error: (err as Error).message });
    }
  }

  const seqOf = new Map(events.map((e) => [e.identityId, e.seq]));
  const settled = async (identityId: string): Promise<boolean> => {
    if (((await stores.applied.progress(directoryId, identityId))?.processedSeq ?? 0) < seqOf.get(identityId)!)
      return false;
    const desired = (await loadDesired(stores, directoryId, identityId)).state;
    const have = await stores.applied.get(directoryId, identityId, appId);
    const plan = planApp(
      desired.status,
      appId,
      desired.apps.find((a) => a.appId === appId),
      have && { ...have, appId },
    );
    return isEmptyPlan(plan);
  };
  const waiting = new Set(seqOf.keys());
  const deadline = Date.now() + (opts.verifyTimeoutMs ?? 300_000);
  while (waiting.size > 0 && Date.now() < deadline) {
    for (const id of waiting) if (await settled(id)) waiting.delete(id);
    if (waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  for (const identityId of waiting) {
    const finding = findings.find((f) => f.identityId === identityId);
    errors.push({
      userName: finding?.userName,
      remoteId: finding?.remoteId ?? undefined,
      error: 'repair not verified in time (see `scimflow report exceptions`)',
    });
  }
}
