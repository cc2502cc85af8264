// bench/lifecycle-history.ts: splits one workflow history's wall-clock window into queued/running workflow tasks and activities.

type Attr = Record<string, unknown> | null | undefined;
export interface HistoryEvent {
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
export const STATES = [
  'workflowTaskRunning',
  'workflowTaskQueued',
  'activityRunning',
  'activityQueued',
  'idle',
] as const;
export type State = (typeof STATES)[number];

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
