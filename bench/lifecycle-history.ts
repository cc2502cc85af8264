// bench/lifecycle-history.ts: where an identity workflow's time went, read from its Temporal history (a sample of workflows).
import type { Client } from '@temporalio/client';
import type Database from 'better-sqlite3';
import { identityWorkflowId } from '../workflows/contracts';
import { round } from './lifecycle-driver';

type Attr = Record<string, unknown> | null | undefined;
interface HistoryEvent {
  eventId?: unknown;
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  workflowExecutionStartedEventAttributes?: Attr;
  workflowExecutionSignaledEventAttributes?: Attr;
  workflowTaskScheduledEventAttributes?: Attr;
  workflowTaskStartedEventAttributes?: Attr;
  workflowTaskCompletedEventAttributes?: Attr;
  workflowTaskFailedEventAttributes?: Attr;
  workflowTaskTimedOutEventAttributes?: Attr;
  activityTaskScheduledEventAttributes?: Attr;
  activityTaskStartedEventAttributes?: Attr;
  activityTaskCompletedEventAttributes?: Attr;
  activityTaskFailedEventAttributes?: Attr;
  activityTaskTimedOutEventAttributes?: Attr;
  markerRecordedEventAttributes?: {
    markerName?: string | null;
    details?: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null;
  } | null;
}

/** Event ids and seconds arrive as protobuf Long objects (or numbers). */
const num = (v: unknown): number =>
  typeof v === 'object' && v !== null && 'toNumber' in v ? (v as { toNumber(): number }).toNumber() : Number(v ?? 0);
/** The activity type of a local activity's marker (the SDK core's JSON in details.data), else undefined. */
function localActivityType(e: HistoryEvent): string | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return 'unknown';
  try {
    return String((JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type);
  } catch {
    return 'unknown';
  }
}

const timeOf = (e: HistoryEvent) => num(e.eventTime?.seconds) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

/** Wall-clock states, highest priority first: a moment counts once, for the most "active" thing going on. */
const STATES = ['workflowTaskRunning', 'workflowTaskQueued', 'activityRunning', 'activityQueued', 'idle'] as const;
type State = (typeof STATES)[number];

interface Span {
  state: State;
  from: number;
  to: number;
}

export interface WindowBreakdown {
  anchorMs: number;
  windowMs: number;
  ms: Record<State, number>;
  workflowTasks: number;
  /** Workflow tasks that timed out waiting on the sticky queue and were re-dispatched. */
  queueTimeouts: number;
  activities: number;
  /** Local activities (markers): no task of their own, their time is inside workflowTaskRunning. */
  localActivities: number;
  activityRunMs: Record<string, number>;
}

/**
 * Splits the window [first `from` event, completion of activity `until`] into the STATES. Started events of activities
 * are written to history only when they finish, so spans are rebuilt from event times, not from event order.
 */
export function breakdownOf(
  events: HistoryEvent[],
  from: 'started' | 'lastSignal',
  until: string,
): WindowBreakdown | undefined {
  const byId = new Map(events.map((e) => [num(e.eventId), e]));
  const anchors = events.filter((e) =>
    from === 'started' ? e.workflowExecutionStartedEventAttributes : e.workflowExecutionSignaledEventAttributes,
  );
  const anchor = anchors[anchors.length - 1];
  if (!anchor) return undefined;
  const start = timeOf(anchor);
  const spans: Span[] = [];
  const activityRunMs: Record<string, number> = {};
  let end: number | undefined;
  let workflowTasks = 0;
  let queueTimeouts = 0;
  let activities = 0;
  let localActivities = 0;
  for (const e of events) {
    // A local activity runs inside a workflow task (its time counts there); its marker lands when that task completes.
    const local = localActivityType(e);
    if (local !== undefined && timeOf(e) >= start) {
      localActivities += 1;
      if (local === until && end === undefined) end = timeOf(e);
      continue;
    }
    const done =
      e.workflowTaskCompletedEventAttributes ??
      e.workflowTaskFailedEventAttributes ??
      e.workflowTaskTimedOutEventAttributes;
    const actDone =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    const attrs = done ?? actDone;
    if (!attrs) continue;
    const scheduled = byId.get(num(attrs.scheduledEventId));
    const started = byId.get(num(attrs.startedEventId));
    if (!scheduled || timeOf(scheduled) < start) continue;
    if (!started) {
      // A sticky task nobody picked up in time (schedule-to-start timeout): it waited, then went to the normal queue.
      if (e.workflowTaskTimedOutEventAttributes) {
        queueTimeouts += 1;
        spans.push({ state: 'workflowTaskQueued', from: timeOf(scheduled), to: timeOf(e) });
      }
      continue;
    }
    const [s, b, c] = [timeOf(scheduled), timeOf(started), timeOf(e)];
    if (done) {
      workflowTasks += 1;
      spans.push({ state: 'workflowTaskQueued', from: s, to: b }, { state: 'workflowTaskRunning', from: b, to: c });
      continue;
    }
    const type = String(
      (scheduled.activityTaskScheduledEventAttributes?.activityType as { name?: string } | undefined)?.name,
    );
    activities += 1;
    activityRunMs[type] = (activityRunMs[type] ?? 0) + (c - b);
    spans.push({ state: 'activityQueued', from: s, to: b }, { state: 'activityRunning', from: b, to: c });
    if (type === until && end === undefined) end = c;
  }
  if (end === undefined) return undefined;
  const ms = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<State, number>;
  const cuts = [...new Set([start, end, ...spans.flatMap((s) => [s.from, s.to])])]
    .filter((t) => t >= start && t <= end)
    .sort((a, b) => a - b);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [a, b] = [cuts[i]!, cuts[i + 1]!];
    const mid = (a + b) / 2;
    const state = STATES.find((st) => spans.some((sp) => sp.state === st && sp.from <= mid && mid < sp.to)) ?? 'idle';
    ms[state] += b - a;
  }
  return {
    anchorMs: start,
    windowMs: end - start,
    ms,
    workflowTasks,
    queueTimeouts,
    activities,
    localActivities,
    activityRunMs,
  };
}

export interface HistorySummary {
  sampled: number;
  analysed: number;
  /** Means per workflow, in ms. Poke delay: the DB commit (`refTimes`) → the start/signal event in the history. */
  meanPokeDelayMs: number;
  meanWindowMs: number;
  meanMs: Record<string, number>;
  meanWorkflowTasks: number;
  meanQueueTimeouts: number;
  meanActivities: number;
  meanLocalActivities: number;
  meanActivityRunMs: Record<string, number>;
  note: string;
}

export async function summariseHistories(
  client: Client,
  workflowIds: string[],
  from: 'started' | 'lastSignal',
  until: string,
  refTimes: Map<string, number>,
): Promise<HistorySummary> {
  const results: WindowBreakdown[] = [];
  const pokeDelays: number[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const b = breakdownOf((history.events ?? []) as HistoryEvent[], from, until);
    if (!b) continue;
    results.push(b);
    const ref = refTimes.get(id);
    if (ref !== undefined) pokeDelays.push(b.anchorMs - ref);
  }
  const mean = (f: (b: WindowBreakdown) => number) =>
    results.length ? round(results.reduce((s, b) => s + f(b), 0) / results.length, 1) : NaN;
  const types = [...new Set(results.flatMap((b) => Object.keys(b.activityRunMs)))];
  return {
    sampled: workflowIds.length,
    analysed: results.length,
    meanPokeDelayMs: pokeDelays.length ? round(pokeDelays.reduce((a, b) => a + b, 0) / pokeDelays.length, 1) : NaN,
    meanWindowMs: mean((b) => b.windowMs),
    meanMs: Object.fromEntries(STATES.map((s) => [s, mean((b) => b.ms[s])])),
    meanWorkflowTasks: mean((b) => b.workflowTasks),
    meanQueueTimeouts: mean((b) => b.queueTimeouts),
    meanActivities: mean((b) => b.activities),
    meanLocalActivities: mean((b) => b.localActivities),
    meanActivityRunMs: Object.fromEntries(types.map((t) => [t, mean((b) => b.activityRunMs[t] ?? 0)])),
    note: `window = ${from === 'started' ? 'workflow start' : 'last signal'} → ${until} completed (its marker, if local); queued = scheduled→started (server matching + waiting for a free worker slot/poll)`,
  };
}

/** Spreads `n` picks evenly over `ids`. */
export function spread(ids: string[], n: number): string[] {
  const k = Math.min(n, ids.length);
  return Array.from({ length: k }, (_, i) => ids[Math.floor((i * ids.length) / k)]!);
}

/**
 * Joiners: workflow start → recordProgress; leavers: the deactivation signal → recordRevocation. The poke delay is measured
 * from the resource's created_at / deactivated_at in scimflow's database.
 */
export async function identityBreakdowns(
  client: Client,
  db: Database.Database,
  directoryId: string,
  ids: { joiners: string[]; idleLeavers: string[]; burstLeavers: string[] },
): Promise<Record<'joiner' | 'idleLeaver' | 'burstLeaver', HistorySummary>> {
  const wfId = (id: string) => identityWorkflowId(directoryId, id);
  const refs = (column: 'created_at' | 'deactivated_at') =>
    new Map(
      db
        .prepare<[string], { id: string; at: string | null }>(
          `SELECT id, ${column} AS at FROM resources WHERE directory_id = ? AND type = 'User'`,
        )
        .all(directoryId)
        .flatMap((r) => (r.at ? [[wfId(r.id), Date.parse(r.at)] as [string, number]] : [])),
    );
  const leaverRefs = refs('deactivated_at');
  return {
    joiner: await summariseHistories(client, ids.joiners.map(wfId), 'started', 'recordProgress', refs('created_at')),
    idleLeaver: await summariseHistories(
      client,
      ids.idleLeavers.map(wfId),
      'lastSignal',
      'recordRevocation',
      leaverRefs,
    ),
    burstLeaver: await summariseHistories(
      client,
      ids.burstLeavers.map(wfId),
      'lastSignal',
      'recordRevocation',
      leaverRefs,
    ),
  };
}
