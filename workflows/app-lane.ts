// workflows/app-lane.ts: one app's convergence inside an identity workflow: revocations first and relentless, then
// cancellable grants. Each app has its own lane, so one app's stuck step never delays another app.
import * as wf from '@temporalio/workflow';
import { planApp } from '../domain/planner/plan';
import type { AppPlan, AppStep, GrantStep, RevokeStep } from '../domain/planner/types';
import type { AppStepInput, AppView, GrantResult, IdentityKey, LaneCarry, RetryTiming } from './contracts';
import { NEEDS_A_HUMAN, REFUSED } from './contracts';
import type { ActivityProxy, StepProxies } from './proxies';
import { failureMessage, failureType, retryAfterMs } from './proxies';

/**
 * Marks runs in which a lane plans again, before a round, when the plan it was handed was read while one of its scheduled
 * calls was on the wire. Runs recorded before it replay as they ran.
 */
export const FRESH_PLANS_PATCH = 'lane-fresh-plans-2026-12';

export interface LaneContext {
  key: IdentityKey;
  workflowId: string;
  timing: RetryTiming;
  io: StepProxies;
  /** Something operators see changed (blocked, unblocked, exception): the identity refreshes its search attributes. */
  changed(): void;
}

export interface Dispatch {
  gen: number;
  seq: number;
  plan: AppPlan;
  /** Undo this round's grants in this app when one is refused (the policy's onGrantFailure: rollback). */
  rollback: boolean;
  /** The lane's `callsEnded` just before the state the plan comes from was read (0 for a lane created for it). */
  callsEnded: number;
}

type RoundEnd = 'settled' | 'preempted' | 'superseded';
type BlockKind = 'revocation' | 'grant' | 'exception';

const needsHuman = (err: unknown) => NEEDS_A_HUMAN.includes(failureType(err));
const refused = (err: unknown) => REFUSED.includes(failureType(err));
const nowIso = () => new Date(Date.now()).toISOString(); // workflow time: deterministic

export class AppLane {
  private next: Dispatch | undefined;
  private plan: AppPlan | null = null;
  private grantScope: wf.CancellationScope | undefined;
  /** The newest generation whose round ended (settled, or held in exception). */
  private settled = 0;
  /** The newest generation whose account revocation was verified, or that needed none. */
  private revoked = 0;
  exception: string | null;
  blockedKind: BlockKind | null;
  blockedSince: string | null;
  blockedReason: string | null;
  /** A downstream call is in flight (continue-as-new waits until none is). */
  busy = false;
  /**
   * Scheduled downstream calls that have ended, this run. A scheduled call runs beside the workflow's own reads: one
   * still on the wire when the identity read the state a newer plan comes from (a revocation that verifies after a
   * rehire was read, and finds the entitlement still recorded) may change it after the read, and that plan is stale.
   */
  callsEnded = 0;
  /**
   * The app answered this lane's last call in time. Runs recorded before SICK_APPS_WAIT_PATCH (workflows/proxies.ts)
   * gave a lane whose app had failed its fast first attempt only when the local-activity gate was free.
   */
  private healthy = true;

  constructor(
    readonly appId: string,
    private readonly ctx: LaneContext,
    carry: LaneCarry = {},
  ) {
    this.exception = carry.exception ?? null;
    this.blockedKind = carry.blockedKind ?? (carry.blockedSince ? 'revocation' : null);
    this.blockedSince = carry.blockedSince ?? null;
    this.blockedReason = carry.blockedReason ?? null;
  }

  /** Hands the lane its plan for a generation; grants still running for an older one are cancelled. */
  dispatch(dispatch: Dispatch): void {
    this.next = dispatch;
    this.preempt();
  }

  /** A newer change arrived: grants still planned are cancelled (a leaver must not wait behind them). */
  preempt(): void {
    this.grantScope?.cancel();
  }

  settledFor(gen: number): boolean {
    return this.settled >= gen;
  }

  revokedFor(gen: number): boolean {
    return this.revoked >= gen;
  }

  carry(): LaneCarry {
    const carry: LaneCarry = {};
    if (this.exception) carry.exception = this.exception;
    if (this.blockedKind) carry.blockedKind = this.blockedKind;
    if (this.blockedSince) carry.blockedSince = this.blockedSince;
    if (this.blockedReason) carry.blockedReason = this.blockedReason;
    return carry;
  }

  view(): AppView {
    return {
      appId: this.appId,
      plan: this.plan,
      exception: this.exception,
      blockedKind: this.blockedKind,
      blockedSince: this.blockedSince,
      blockedReason: this.blockedReason,
      busy: this.busy,
    };
  }

  /** The lane's loop; it never returns and never throws (an unexpected error becomes the app's visible exception). */
  async run(): Promise<void> {
    for (;;) {
      await wf.condition(() => this.next !== undefined);
      let dispatch = this.next!;
      this.next = undefined;
      // A scheduled call of an older round ended after the plan's state was read: the plan may miss what it did (a lost
      // grant the property test found: an entitlement revoked after a reactivation's plan counted it as still held).
      if (dispatch.callsEnded !== this.callsEnded && wf.patched(FRESH_PLANS_PATCH)) {
        const replanned = await this.replan(dispatch);
        if (this.next !== undefined) continue; // a newer generation arrived meanwhile: it wins
        dispatch = replanned;
      }
      this.plan = dispatch.plan;
      this.exception = null; // a new round is a new try
      let end: RoundEnd;
      try {
        end = await this.round(dispatch);
      } catch (err) {
        await this.hold(`workflow error in app ${this.appId}: ${failureMessage(err)}`);
        end = 'settled';
      }
      if (end === 'superseded' && this.next === undefined) {
        const replanned = await this.replan(dispatch);
        // A newer generation dispatched while the replan waited wins: overwriting it left the identity waiting for a
        // settlement of its newest generation that no lane would ever report (a hang the property test found).
        this.next ??= replanned;
      }
      if (end === 'settled') {
        this.settled = Math.max(this.settled, dispatch.gen);
        if (!this.exception) await this.unblock();
        this.plan = null;
      }
    }
  }

  /** The store changed under a step (it said `superseded`): plan this app again from current state. */
  private async replan(previous: Dispatch): Promise<Dispatch> {
    const callsEnded = this.callsEnded;
    const { desired, applied } = await this.ctx.io.local.loadIdentity(this.ctx.key);
    const want = desired.apps.find((a) => a.appId === this.appId);
    const have = applied.find((a) => a.appId === this.appId);
    return {
      ...previous,
      seq: Math.max(previous.seq, desired.latestSeq),
      plan: planApp(desired.status, this.appId, want, have),
      rollback: want?.onGrantFailure !== 'keep',
      callsEnded,
    };
  }

  /**
   * A scheduled downstream call, counted in `callsEnded` once it has ended, however it ended. The same promise is handed
   * back: awaiting it takes as many microtasks as before, so runs recorded before the count replay alike.
   */
  private counted<T>(call: Promise<T>): Promise<T> {
    const ended = () => {
      this.callsEnded += 1;
    };
    void call.then(ended, ended);
    return call;
  }

  private async round(dispatch: Dispatch): Promise<RoundEnd> {
    for (const step of dispatch.plan.revoke) {
      const end = await this.revoke(step, dispatch.seq);
      if (end !== 'done') return end;
    }
    this.revoked = Math.max(this.revoked, dispatch.gen);
    return dispatch.plan.grant.length > 0 ? this.grants(dispatch) : 'settled';
  }

  private input<S extends AppStep>(step: S, seq: number): AppStepInput<S> {
    return {
      ...this.ctx.key,
      appId: this.appId,
      seq,
      idempotencyKey: `${this.ctx.workflowId}/${seq}/${this.appId}/${step.kind}`,
      step,
    };
  }

  /**
   * A revocation is never given up: a fast first attempt, then rounds of scheduled attempts; after each failed round
   * the app is marked blocked (visible with its age) and the lane waits one maximum interval, or less if a newer plan
   * arrives (the revocation may no longer be wanted; if it is, the new plan has it first again).
   */
  private async revoke(step: RevokeStep, seq: number): Promise<'done' | 'superseded' | 'settled'> {
    const input = this.input(step, seq);
    const call = (io: ActivityProxy) =>
      step.kind === 'revokeAccount' ? io.revokeAccount(input) : io.revokeEntitlements(input);
    this.busy = true;
    try {
      try {
        if ((await this.firstAttempt(call)).ran) {
          await this.unblock();
          return 'done';
        }
      } catch (err) {
        if (needsHuman(err)) return await this.hold(failureMessage(err));
        // The app (429/503 Retry-After) or its open circuit asked to be left alone for a while: visible at once, and
        // the scheduled attempt waits for it.
        const wait = retryAfterMs(err);
        if (wait > 0) await this.block('revocation', `${step.kind} waits for the app: ${failureMessage(err)}`);
        if (await this.newerWithin(wait)) return 'superseded';
      }
      for (;;) {
        try {
          this.busy = true;
          await this.counted(call(this.ctx.io.revocation));
          this.healthy = true;
          await this.unblock();
          return 'done';
        } catch (err) {
          if (needsHuman(err)) return await this.hold(failureMessage(err));
          await this.block('revocation', `${step.kind} keeps failing: ${failureMessage(err)}`);
        }
        this.busy = false;
        if (await this.newerWithin(this.ctx.timing.maximumIntervalMs)) return 'superseded';
      }
    } finally {
      this.busy = false;
    }
  }

  /** Grants in a cancellable scope; a refusal undoes this round's grants in this app and holds it in exception. */
  private async grants(dispatch: Dispatch): Promise<RoundEnd> {
    const undo = { entitlements: [] as string[], account: false };
    let current: GrantStep | undefined;
    this.busy = true;
    try {
      return await wf.CancellationScope.cancellable(async () => {
        this.grantScope = wf.CancellationScope.current();
        for (const step of dispatch.plan.grant) {
          current = step;
          // Counted before the call: a grant that fails half-way is undone too (revoking what was not granted is a no-op).
          if (step.kind === 'grantEntitlements') undo.entitlements.push(...step.entitlements);
          const result = await this.grant(step, dispatch.seq);
          if (result.accountCreated) undo.account = true;
          if (result.outcome === 'superseded') return 'superseded';
        }
        return 'settled';
      });
    } catch (err) {
      if (wf.isCancellation(err)) return 'preempted';
      const what =
        current?.kind === 'grantEntitlements' ? `grantEntitlements ${current.entitlements.join(', ')}` : current?.kind;
      const failed = `${what ? `${what}: ` : ''}${failureMessage(err)}`;
      const undone = dispatch.rollback && (undo.account || undo.entitlements.length > 0);
      if (undone)
        await wf.CancellationScope.nonCancellable(() =>
          this.counted(
            this.ctx.io.undo.compensateApp({
              ...this.ctx.key,
              appId: this.appId,
              seq: dispatch.seq,
              idempotencyKey: `${this.ctx.workflowId}/${dispatch.seq}/${this.appId}/undo`,
              entitlements: undo.entitlements,
              account: undo.account,
            }),
          ),
        );
      return this.hold(`${failed}${undone ? "; this run's grants in the app were rolled back" : ''}`);
    } finally {
      this.grantScope = undefined;
      this.busy = false;
    }
  }

  private async grant(step: GrantStep, seq: number): Promise<GrantResult> {
    const input = this.input(step, seq);
    const call = (io: ActivityProxy) =>
      step.kind === 'provisionAccount' ? io.provisionAccount(input) : io.grantEntitlements(input);
    try {
      const first = await this.firstAttempt(call);
      if (first.ran) return first.value;
    } catch (err) {
      if (wf.isCancellation(err) || refused(err) || needsHuman(err)) throw err;
      const wait = retryAfterMs(err); // capped by the activity (activities/failures.ts)
      if (wait > 0) {
        await this.block('grant', `${step.kind} waits for the app: ${failureMessage(err)}`);
        await wf.sleep(wait); // the app's Retry-After or its circuit's probe time; a newer change cancels it
      }
    }
    // Transient failures never need a human: rounds of attempts, blocked (visible) after each, until the app heals or
    // a newer change cancels the grants (a refusal throws, and the round's grants are rolled back).
    for (;;) {
      try {
        const result = await this.counted(call(this.ctx.io.grant));
        this.healthy = true;
        if (this.blockedKind === 'grant') await this.unblock();
        return result;
      } catch (err) {
        if (wf.isCancellation(err) || refused(err) || needsHuman(err)) throw err;
        await this.block('grant', `${step.kind} keeps failing: ${failureMessage(err)}`);
      }
      this.busy = false; // nothing on the wire while it waits: the run may continue as new meanwhile
      await wf.sleep(this.ctx.timing.maximumIntervalMs);
      this.busy = true;
    }
  }

  /** Waits up to `ms` (0: not at all); true when a newer plan arrived meanwhile. */
  private async newerWithin(ms: number): Promise<boolean> {
    if (ms <= 0) return this.next !== undefined;
    return wf.condition(() => this.next !== undefined, ms);
  }

  /** The step's fast first attempt (see `healthy`); a failure other than a refusal marks the app unhealthy. */
  private async firstAttempt<T>(call: (io: ActivityProxy) => Promise<T>) {
    try {
      return await this.ctx.io.firstAttempt(call, this.healthy);
    } catch (err) {
      if (!wf.isCancellation(err) && !refused(err) && !needsHuman(err)) this.healthy = false;
      throw err;
    }
  }

  /** Holds the app in exception until a retry or a newer change (a step a human must look at). */
  private async hold(reason: string): Promise<'settled'> {
    this.exception = reason;
    await this.block('exception', reason);
    return 'settled';
  }

  private async block(kind: BlockKind, reason: string): Promise<void> {
    if (this.blockedKind !== kind) this.blockedSince = null; // a new kind of trouble has its own age
    this.blockedSince ??= nowIso();
    this.blockedKind = kind;
    this.blockedReason = reason;
    await this.ctx.io.local.recordAppBlock({
      ...this.ctx.key,
      appId: this.appId,
      block: { kind, since: this.blockedSince, reason },
    });
    this.ctx.changed();
  }

  private async unblock(): Promise<void> {
    if (!this.blockedSince) return;
    this.blockedKind = null;
    this.blockedSince = null;
    this.blockedReason = null;
    await this.ctx.io.local.recordAppBlock({ ...this.ctx.key, appId: this.appId, block: null });
    this.ctx.changed();
  }
}
