// api/poke.ts: after commit, signal-with-start each touched identity's workflow; the relay re-delivers what failed.
import type { Client } from '@temporalio/client';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import type { PendingSignal } from './pending-signals';
import { PendingSignals, priorityOf } from './pending-signals';
import { groupFeedsOf, pokeGroupFeed } from '../runtime/group-feed-client';
import { signalIdentity } from '../runtime/identity-client';
import type { SignalIdentity } from '../runtime/identity-client';

export interface PokerOptions {
  /** Signals in flight at once; the IdP's write never waits for them. */
  concurrency?: number;
  /** Events older than this and still undelivered are re-poked by the relay. */
  relayAfterMs?: number;
  relayIntervalMs?: number;
  workflowInput?: SignalIdentity['workflowInput'];
  log?: (msg: string) => void;
}

/**
 * Leavers first: an identity with a pending revocation is signalled before every pending joiner or update (its own
 * queue), and its workflow is raised to Temporal's highest task priority (runtime/identity-client.ts), so a leaver
 * passes a large sync's backlog both here and in the task queues.
 */
export class Poker {
  private readonly pending = new PendingSignals();
  private readonly inFlight = new Set<string>();
  private readonly delivered: PendingSignal[] = [];
  private relayTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly client: Client,
    private readonly stores: Stores,
    private readonly options: PokerOptions = {},
  ) {}

  /**
   * Queues the identities touched by committed events (user identities only; groups are not identities), and wakes
   * the group feed of each webhook app whose directory had a group or membership change (a lost wake-up is caught by
   * the feed's own periodic look).
   */
  poke = (events: EventRow[]): void => {
    for (const e of events) if (e.resourceType === 'User') this.enqueue(pendingOf(e));
    groupFeedsOf(this.stores, events).then(
      (appIds) => {
        for (const appId of appIds)
          pokeGroupFeed(this.client, appId).catch((err: unknown) =>
            this.options.log?.(`group feed of app ${appId} not woken: ${(err as Error).message}`),
          );
      },
      (err: unknown) => this.options.log?.(`group feeds not woken: ${(err as Error).message}`),
    );
  };

  /** Input of the workflows this poker starts (tests inject short retry timings); shared by the admin API's retry. */
  get workflowInput(): SignalIdentity['workflowInput'] {
    return this.options.workflowInput;
  }

  get stats() {
    return {
      pending: this.pending.size,
      inFlight: this.inFlight.size,
      failures: this.failures,
    };
  }

  private enqueue(p: PendingSignal): void {
    this.pending.add(p);
    this.pump();
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 32;
    while (this.inFlight.size < limit) {
      const next = this.pending.take((key) => this.inFlight.has(key));
      if (!next) return;
      this.inFlight.add(next.key);
      void this.send(next.signal).finally(() => {
        this.inFlight.delete(next.key);
        this.pump();
      });
    }
  }

  private async send(p: PendingSignal): Promise<void> {
    try {
      await signalIdentity(this.client, { ...p, workflowInput: this.options.workflowInput });
      this.delivered.push(p);
      this.flushTimer ??= setTimeout(() => void this.flushDelivered(), 50);
    } catch (err) {
      // The event stays undelivered in the log; the relay retries it, so the IdP's write is never lost.
      this.failures += 1;
      this.options.log?.(`poke failed for ${p.identityId} (seq ${p.seq}): ${(err as Error).message}`);
    }
  }

  /**
   * Marks delivered in batches, through the API's group commit: it joins request writes instead of taking SQLite's
   * lock on its own (which would sleep on the event loop while another connection holds it). If it fails, the marks
   * are kept for the next flush; an unmarked event is only re-poked by the relay, which the workflow ignores.
   */
  private flushDelivered(): Promise<void> {
    this.flushTimer = undefined;
    const batch = this.delivered.splice(0);
    if (batch.length === 0) return Promise.resolve();
    const at = new Date().toISOString();
    return this.stores.batch
      .run(async () => {
        for (const p of batch) await this.stores.events.markDelivered(p.directoryId, p.identityId, p.seq, at);
      })
      .catch((err: unknown) => {
        this.options.log?.(`marking ${batch.length} events delivered failed, will retry: ${(err as Error).message}`);
        this.delivered.push(...batch);
        if (!this.stopped) this.flushTimer ??= setTimeout(() => void this.flushDelivered(), 1_000);
      });
  }

  /** Starts the relay: undelivered events (Temporal was down, the process died before poking) are re-poked. */
  startRelay(): void {
    const every = this.options.relayIntervalMs ?? 5_000;
    const after = this.options.relayAfterMs ?? 10_000;
    const tick = async () => {
      const before = new Date(Date.now() - after).toISOString();
      for (const e of await this.stores.events.undelivered(before, 1000))
        if (e.resourceType === 'User') this.enqueue(pendingOf(e));
    };
    this.relayTimer = setInterval(() => {
      tick().catch((err: unknown) => this.options.log?.(`relay tick failed: ${(err as Error).message}`));
    }, every);
    this.relayTimer.unref();
  }

  /** Stops the relay and waits (bounded) for in-flight signals, then records what was delivered. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.relayTimer) clearInterval(this.relayTimer);
    this.stopped = true;
    const deadline = Date.now() + timeoutMs;
    while ((this.inFlight.size > 0 || this.pending.size > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushDelivered();
  }
}

const pendingOf = (e: EventRow): PendingSignal => ({
  directoryId: e.directoryId,
  identityId: e.identityId,
  seq: e.seq,
  priority: priorityOf(e.kind),
  ...(typeof e.detail.requestId === 'string' ? { requestId: e.detail.requestId } : {}),
});
