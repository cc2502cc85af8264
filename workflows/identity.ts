// workflows/identity.ts: one long-lived workflow per identity; signals only mark work, the loop converges current state,
// one lane per app (workflows/app-lane.ts).
import * as wf from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { classifyChange, planApps, settledLabel } from '../domain/planner/plan';
import type { AppPlan } from '../domain/planner/types';
import { AppLane } from './app-lane';
import type {
  IdentitySnapshot,
  IdentityView,
  IdentityWorkflowInput,
  LaneCarry,
  PendingRevocation,
  RetryTiming,
} from './contracts';
import {
  DEFAULT_HISTORY_BUDGET,
  DEFAULT_RETRY_TIMING,
  identityChangedSignal,
  identityQuery,
  retryExceptionUpdate,
  SEARCH_ATTRIBUTES,
} from './contracts';
import type { IterationState, IterationView } from './legacy/iteration-v1';
import { legacyIteration } from './legacy/iteration-v1';
import { stepProxies } from './proxies';

/**
 * Marks runs that converge per app (lanes) with ids-and-hashes payloads. Iterations recorded before it replay through
 * workflows/legacy/; every iteration that runs live takes the lanes.
 */
export const PER_APP_LANES_PATCH = 'per-app-lanes-2026-12';

export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  const timing: RetryTiming = { ...DEFAULT_RETRY_TIMING, ...input.retry };
  const io = stepProxies(timing);
  const key = { directoryId: input.directoryId, identityId: input.identityId };
  const state: IterationState = {
    lastSeq: input.lastSeq,
    processedSeq: input.processedSeq ?? 0,
    dirty: input.dirty ?? true,
    exception: input.exception ?? null,
    lifecycle: 'idle',
  };
  const legacyView: IterationView = { desired: null, applied: [], plan: [] };
  const lanes = new Map<string, AppLane>();
  const historyBudget = input.historyBudget ?? DEFAULT_HISTORY_BUDGET;
  let snapshot: IdentitySnapshot | null = null;
  /** Bumped by every change; a convergence that sees it move stops waiting and converges the newer state. */
  let generation = 0;
  /** Set once this run converges through lanes; old iterations replay exactly as they were recorded. */
  let lanesActive = false;
  /** A leaver's revocation waiting to be recorded (time to revoke) once every app has verified it. */
  let revocation: PendingRevocation | null = input.revocation ?? null;

  const published = { lifecycle: '', json: '', hadAlarm: false };
  /**
   * A durable timer to the next instant the desired state changes by itself (an effective-dated termination or leave,
   * an NHI's expiry or rotation deadline): visible in the Temporal UI as a timer, moved or cancelled when HR moves or
   * rescinds the date, and carried across continue-as-new.
   */
  let alarm: { at: string; scope: wf.CancellationScope } | undefined;
  function setAlarm(at: string | undefined): void {
    if (alarm?.at === at) return;
    alarm?.scope.cancel();
    alarm = undefined;
    if (!at) return;
    published.hadAlarm = true;
    const scope = new wf.CancellationScope();
    const mine = { at, scope };
    alarm = mine;
    // One millisecond past it: the state read then has the change in force.
    const delay = Math.max(0, Date.parse(at) - Date.now()) + 1;
    scope
      .run(() => wf.sleep(delay))
      .then(
        () => {
          if (alarm !== mine) return;
          alarm = undefined;
          changed();
        },
        () => undefined, // cancelled: the date moved or was taken back
      );
  }
  /** Upserts the operator-facing search attributes when (and only when) they change. */
  function publish(lifecycle: string = published.lifecycle): void {
    published.lifecycle = lifecycle;
    const blocked = [...lanes.values()].flatMap((l) => (l.blockedSince ? [l.blockedSince] : [])).sort()[0];
    // A grant retrying through an outage is blocked (visible by its age) but needs no human: not an exception.
    const exception =
      state.exception !== null ||
      [...lanes.values()].some((l) => l.exception || (l.blockedSince && l.blockedKind !== 'grant'));
    const attributes: SearchAttributeUpdatePair[] = [
      { key: SEARCH_ATTRIBUTES.directory, value: key.directoryId },
      { key: SEARCH_ATTRIBUTES.lifecycle, value: blocked && lifecycle === 'leaver' ? 'revoking' : lifecycle },
      { key: SEARCH_ATTRIBUTES.exception, value: exception },
      { key: SEARCH_ATTRIBUTES.blockedSince, value: blocked ? new Date(blocked) : null },
    ];
    if (snapshot) attributes.push({ key: SEARCH_ATTRIBUTES.userName, value: snapshot.desired.label });
    // Only identities that have them (HR dates, NHIs): histories from before these attributes replay unchanged.
    if (alarm || published.hadAlarm)
      attributes.push({ key: SEARCH_ATTRIBUTES.nextChangeAt, value: alarm ? new Date(alarm.at) : null });
    if (snapshot?.desired.kind === 'service')
      attributes.push({ key: SEARCH_ATTRIBUTES.rotationOverdue, value: snapshot.desired.rotationOverdue === true });
    const json = JSON.stringify(attributes.map((a) => [a.key.name, a.value]));
    if (json === published.json) return;
    published.json = json;
    wf.upsertSearchAttributes(attributes);
  }

  const laneContext = { key, workflowId: wf.workflowInfo().workflowId, timing, io, changed: () => publish() };
  function laneFor(appId: string): AppLane {
    let lane = lanes.get(appId);
    if (!lane) {
      lane = new AppLane(appId, laneContext, input.lanes?.[appId]);
      lanes.set(appId, lane);
      void lane.run();
    }
    return lane;
  }
  const every = (test: (lane: AppLane) => boolean) => [...lanes.values()].every(test);

  function changed(): void {
    generation += 1;
    state.dirty = true;
    state.exception = null; // a new change is a new reason to try; a leaver must never wait behind an old exception
    for (const lane of lanes.values()) lane.preempt();
  }

  let lastRequestId: string | null = null;
  wf.setHandler(identityChangedSignal, ({ seq, force, requestId }) => {
    if (seq <= state.lastSeq && !force) return; // duplicate or stale poke: converging on current state covers it
    state.lastSeq = Math.max(state.lastSeq, seq);
    if (requestId) lastRequestId = requestId;
    // Not logged on replay (the SDK's workflow logger); with LOG_LEVEL=debug this line joins the HTTP request's.
    wf.log.debug('identity changed', { seq, ...(requestId ? { requestId } : {}) });
    changed();
  });
  wf.setHandler(retryExceptionUpdate, () => {
    const retried = state.exception !== null || [...lanes.values()].some((l) => l.exception !== null);
    changed();
    return { retried };
  });
  wf.setHandler(identityQuery, (): IdentityView => ({
    ...key,
    lastSeq: state.lastSeq,
    processedSeq: state.processedSeq,
    lifecycle: state.lifecycle,
    exception: state.exception,
    lastRequestId,
    desired: snapshot?.desired ?? null,
    applied: snapshot?.applied ?? [],
    apps: [...lanes.values()].map((lane) => lane.view()),
  }));

  /** One convergence of current state: every app's lane gets its plan; waits until all settled or a newer change. */
  async function converge(): Promise<'continue' | 'completed'> {
    state.dirty = false;
    const gen = generation;
    // Each lane's scheduled calls ended so far: one that ends after this read may have changed what it read.
    const callsEnded = new Map([...lanes].map(([appId, lane]) => [appId, lane.callsEnded]));
    snapshot = await io.local.loadIdentity(key);
    const { desired, applied } = snapshot;
    setAlarm(desired.nextChangeAt);
    // A leaver's service accounts, API keys and agents are handed on (or revoked) like their own access goes; a leave
    // of absence only suspends the person.
    if (desired.status !== 'active' && desired.hold !== 'on-leave' && desired.ownsNhis)
      await io.local.handOverNhis({ ...key, leftAt: desired.deactivatedAt ?? new Date(Date.now()).toISOString() });
    const plans = planApps(desired, applied);
    state.lifecycle = classifyChange(desired, plans);
    const seq = Math.max(state.lastSeq, desired.latestSeq);
    const empty = (appId: string): AppPlan => ({ appId, revoke: [], grant: [] });
    for (const appId of new Set([...plans.map((p) => p.appId), ...lanes.keys()])) {
      const rollback = desired.apps.find((a) => a.appId === appId)?.onGrantFailure !== 'keep';
      laneFor(appId).dispatch({
        gen,
        seq,
        plan: plans.find((p) => p.appId === appId) ?? empty(appId),
        rollback,
        callsEnded: callsEnded.get(appId) ?? 0,
      });
    }
    publish(state.lifecycle === 'steady' ? settledLabel(desired.status) : state.lifecycle);

    if (desired.status === 'active') revocation = null;
    else if (desired.deactivatedAt && plans.some((p) => p.revoke.length > 0))
      revocation ??= { seq: desired.deactivatedSeq ?? seq, requestedAt: desired.deactivatedAt };
    else if (desired.deactivatedAt && snapshot.unrecordedRevocation)
      revocation ??= {
        seq: desired.deactivatedSeq ?? seq,
        requestedAt: desired.deactivatedAt,
        verifiedAt: snapshot.unrecordedRevocation.verifiedAt,
      };
    // A stuck step keeps its lane busy for days: the history is bounded by continuing as new from inside the wait too.
    const interrupted = () => generation !== gen || continueAsNewDue();
    if (revocation) {
      await wf.condition(() => interrupted() || every((l) => l.revokedFor(gen) || l.settledFor(gen)));
      if (!interrupted() && every((l) => l.revokedFor(gen))) {
        await io.local.recordRevocation({ ...key, ...revocation });
        revocation = null;
      }
    }
    await wf.condition(() => interrupted() || every((l) => l.settledFor(gen)));
    if (interrupted()) {
      state.dirty = true; // converge again: here, or in the next run
      return 'continue';
    }

    const held = [...lanes.values()].filter((l) => l.exception !== null);
    state.exception = held.length > 0 ? held.map((l) => `app ${l.appId}: ${l.exception}`).join('; ') : null;
    if (!state.exception) state.processedSeq = Math.max(state.processedSeq, seq);
    state.lifecycle = state.exception ? state.lifecycle : 'steady';
    const label = state.exception ? 'exception' : settledLabel(desired.status);
    await io.local.recordProgress({
      ...key,
      processedSeq: state.processedSeq,
      lifecycle: label,
      exception: state.exception,
    });
    publish(label);
    // A deleted identity that is fully revoked has no future: a re-created user gets a new id (and a new workflow).
    const done = desired.status === 'deleted' && !state.exception && !state.dirty && every((l) => !l.blockedSince);
    return done ? 'completed' : 'continue';
  }

  const continueAsNewDue = () =>
    wf.workflowInfo().continueAsNewSuggested || (lanesActive && wf.workflowInfo().historyLength > historyBudget);

  if (input.wakeAt) setAlarm(input.wakeAt);
  for (;;) {
    await wf.condition(() => (state.dirty && state.exception === null) || continueAsNewDue());
    if (!state.dirty || state.exception !== null || (lanesActive && continueAsNewDue())) break;
    // Patch: iterations recorded before per-app convergence replay through the first workflow's code.
    if (!wf.patched(PER_APP_LANES_PATCH)) {
      if ((await legacyIteration(key, state, legacyView, timing)) === 'completed') return;
      continue;
    }
    lanesActive = true;
    if ((await converge()) === 'completed') return;
  }
  // Nothing may be on the wire when the run ends: a step abandoned mid-call could race the next run's plan.
  await wf.condition(() => wf.allHandlersFinished() && every((l) => !l.busy));
  const carried: Record<string, LaneCarry> = {};
  for (const lane of lanes.values()) if (Object.keys(lane.carry()).length > 0) carried[lane.appId] = lane.carry();
  await wf.continueAsNew<typeof identityWorkflow>({
    directoryId: input.directoryId,
    identityId: input.identityId,
    lastSeq: state.lastSeq,
    processedSeq: state.processedSeq,
    dirty: state.dirty || (lanesActive && !every((l) => l.settledFor(generation))),
    exception: state.exception ?? undefined,
    retry: input.retry,
    ...(input.historyBudget !== undefined ? { historyBudget: input.historyBudget } : {}),
    ...(Object.keys(carried).length > 0 ? { lanes: carried } : {}),
    ...(revocation ? { revocation } : {}),
    ...(alarm ? { wakeAt: alarm.at } : {}),
  });
}
