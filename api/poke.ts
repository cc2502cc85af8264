// api/poke.ts: after commit, signal-with-start each touched identity's workflow; the relay re-delivers what failed.
import type { Client } from '@temporalio/client';
import type { Stores } from '../store';
import type { EventRow, IdentitySeq } from '../store/event-log';
import { HANDED_OVER } from '../store/event-log';
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
  /** How long a relay's claim keeps other relays (other hosts) off the events it took. */
  relayLeaseMs?: number;
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
  private readonly inFlight = new Map<string, PendingSignal>();
  private readonly delivered: PendingSignal[] = [];
  /** Identities the relay claimed (their seq), as opposed to this process's own writes. */
  private readonly claimed = new Map<string, number>();
  /** Events whose poke failed, waiting to be given to the relays: at once (a write's own), or later (a relay's). */
  private readonly toRelay: { item: IdentitySeq; from: string }[] = [];
  private relayTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private handOverTimer?: NodeJS.Timeout;
  private stopWaking?: Promise<() => void>;
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

  private claim(p: PendingSignal): void {
    const key = keyOf(p);
    this.claimed.set(key, Math.max(p.seq, this.claimed.get(key) ?? 0));
    this.enqueue(p);
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 32;
    while (this.inFlight.size < limit) {
      const next = this.pending.take((key) => this.inFlight.has(key));
      if (!next) return;
      this.inFlight.set(next.key, next.signal);
      void this.send(next.signal).finally(() => {
        this.inFlight.delete(next.key);
        this.pump();
      });
    }
  }

  private async send(p: PendingSignal): Promise<void> {
    const key = keyOf(p);
    const fromRelay = (this.claimed.get(key) ?? -1) >= p.seq;
    if (fromRelay) this.claimed.delete(key);
    try {
      await signalIdentity(this.client, { ...p, workflowInput: this.options.workflowInput });
      this.delivered.push(p);
      this.flushTimer ??= setTimeout(() => void this.flushDelivered(), 50);
    } catch (err) {
      // The event stays undelivered in the log; a relay retries it, so the IdP's write is never lost. A write's own
      // failed poke goes to the relays at once (another host may reach Temporal); a relay's own failure is retried
      // after a relay interval, so that an outage does not have every relay retrying in a loop.
      this.failures += 1;
      this.options.log?.(`poke failed for ${p.identityId} (seq ${p.seq}): ${(err as Error).message}`);
      const from = fromRelay ? new Date(Date.now() + this.relayIntervalMs).toISOString() : HANDED_OVER;
      this.handOver([p], from);
    }
  }

  private get relayIntervalMs(): number {
    return this.options.relayIntervalMs ?? 5_000;
  }

  /**
   * Gives events to the relays (`from`: when they may claim them) in batches, through the group commit, and wakes
   * the relays of every process (PostgreSQL: NOTIFY) when some are theirs at once. A failed batch is tried again.
   */
  private handOver(items: IdentitySeq[], from: string): void {
    for (const item of items) this.toRelay.push({ item, from });
    this.handOverTimer ??= setTimeout(() => void this.flushHandOver(), 50);
  }

  private async flushHandOver(): Promise<void> {
    this.handOverTimer = undefined;
    const batch = this.toRelay.splice(0);
    if (batch.length === 0) return;
    const byFrom = new Map<string, IdentitySeq[]>();
    for (const { item, from } of batch) {
      const items = byFrom.get(from);
      if (items) items.push(item);
      else byFrom.set(from, [item]);
    }
    try {
      await this.stores.batch.run(async () => {
        for (const [from, items] of byFrom) await this.stores.events.relayFrom(items, from);
      });
      if (byFrom.has(HANDED_OVER)) await this.stores.events.wakeRelays();
    } catch (err) {
      this.options.log?.(`handing ${batch.length} events to the relay failed, will retry: ${(err as Error).message}`);
      this.toRelay.push(...batch);
      if (!this.stopped) this.handOverTimer ??= setTimeout(() => void this.flushHandOver(), 1_000);
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

  /**
   * Starts the relay: undelivered events (Temporal was down, the process died before poking, a writer handed them over)
   * are claimed and poked again. It runs every relay interval and whenever a writer of any process hands events over.
   * A claim holds its events for `relayLeaseMs`, so relays on several hosts (PostgreSQL) do not poke them twice; a
   * relay that dies with claimed events leaves them to the others when the lease ends.
   */
  startRelay(): void {
    const after = this.options.relayAfterMs ?? 10_000;
    const lease = this.options.relayLeaseMs ?? 30_000;
    let running: Promise<void> | undefined;
    let again = false;
    const claimOnce = async () => {
      const now = Date.now();
      const iso = (ms: number) => new Date(ms).toISOString();
      const claim = { before: iso(now - after), now: iso(now), until: iso(now + lease), limit: 1000 };
      const claimed = await this.stores.batch.run(() => this.stores.events.claimUndelivered(claim));
      for (const e of claimed) if (e.resourceType === 'User') this.claim(pendingOf(e));
    };
    const tick = () => {
      if (this.stopped) return;
      if (running) {
        again = true; // a wake-up during a claim: claim once more after it
        return;
      }
      running = claimOnce()
        .catch((err: unknown) => this.options.log?.(`relay tick failed: ${(err as Error).message}`))
        .finally(() => {
          running = undefined;
          if (again) {
            again = false;
            tick();
          }
        });
    };
    this.relayTimer = setInterval(tick, this.relayIntervalMs);
    this.relayTimer.unref();
    this.stopWaking = this.stores.events.onRelayWake(tick);
    this.stopWaking.catch((err: unknown) =>
      this.options.log?.(`relay wake-ups not received (it still runs every interval): ${(err as Error).message}`),
    );
  }

  /**
   * Stops the relay and waits (bounded) for in-flight signals, then records what was delivered and hands what is
   * left (queued or still in flight) to the relays of other processes, at once.
   */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.relayTimer) clearInterval(this.relayTimer);
    this.stopped = true;
    void this.stopWaking?.then((unsubscribe) => unsubscribe()).catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while ((this.inFlight.size > 0 || this.pending.size > 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flushDelivered();
    const left: IdentitySeq[] = [...this.inFlight.values()];
    for (let next = this.pending.take(() => false); next; next = this.pending.take(() => false)) left.push(next.signal);
    if (left.length > 0) this.toRelay.push(...left.map((item) => ({ item, from: HANDED_OVER })));
    if (this.handOverTimer) clearTimeout(this.handOverTimer);
    await this.flushHandOver();
  }
}

const keyOf = (p: IdentitySeq) => `${p.directoryId}/${p.identityId}`;

const pendingOf = (e: EventRow): PendingSignal => ({
  directoryId: e.directoryId,
  identityId: e.identityId,
  seq: e.seq,
  priority: priorityOf(e.kind),
  ...(typeof e.detail.requestId === 'string' ? { requestId: e.detail.requestId } : {}),
});
