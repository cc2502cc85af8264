// bench/lifecycle-breakdowns.ts: where identity workflows' time went, averaged over a sample of their Temporal histories.
import type { Client } from '@temporalio/client';
import type Database from 'better-sqlite3';
import { identityWorkflowId } from '../workflows/contracts';
import { round } from './lifecycle-driver';
import type { HistoryEvent, WindowBreakdown } from './lifecycle-history';
import { breakdownOf, STATES } from './lifecycle-history';

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
