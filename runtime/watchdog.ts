// runtime/watchdog.ts: finds identities whose workflow stopped converging (failed, terminated, tasks failing) and
// records them as exceptions, so nothing stalls silently: `report exceptions` and the admin API show them.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Stores } from '../store';
import { identityWorkflowId } from '../workflows/contracts';
import type { RunView } from './stall-reason';
import { stallReason } from './stall-reason';

export interface WatchdogOptions {
  /** An identity behind for longer than this is looked at (its workflow asked why). */
  staleAfterMs?: number;
  everyMs?: number;
  /** Workflows described at once per tick. */
  concurrency?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export interface StalledIdentity {
  directoryId: string;
  identityId: string;
  exception: string;
}

export class Watchdog {
  /** Per directory, the seq below which every user event was processed when last looked at. */
  private readonly lowWater = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly client: Client,
    private readonly stores: Stores,
    private readonly options: WatchdogOptions = {},
  ) {}

  start(): void {
    const every = this.options.everyMs ?? 30_000;
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .catch((err: unknown) => this.options.log?.(`watchdog tick failed: ${(err as Error).message}`))
        .finally(() => (this.running = undefined));
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every directory; returns the identities it flagged. */
  async tick(): Promise<StalledIdentity[]> {
    const now = this.options.now?.() ?? Date.now();
    const before = new Date(now - (this.options.staleAfterMs ?? 120_000)).toISOString();
    const suspects: { directoryId: string; identityId: string }[] = [];
    for (const directory of await this.stores.directories.list()) {
      const found = await this.stores.applied.unprocessed(directory.id, this.lowWater.get(directory.id) ?? 0);
      this.lowWater.set(directory.id, found.lowestSeq);
      for (const identity of found.identities)
        if (identity.exception === null && identity.since < before)
          suspects.push({ directoryId: directory.id, identityId: identity.identityId });
    }
    const flagged: StalledIdentity[] = [];
    const queue = [...suspects];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const exception = stallReason(await this.view(next.directoryId, next.identityId));
        if (exception) flagged.push({ ...next, exception });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, queue.length) }, worker));
    if (flagged.length === 0) return flagged;
    await this.stores.batch.run(async () => {
      for (const f of flagged) {
        await this.stores.applied.flagStalled(f.directoryId, f.identityId, f.exception);
        await this.stores.applied.audit({
          directoryId: f.directoryId,
          identityId: f.identityId,
          action: 'workflow.stalled',
          detail: { exception: f.exception },
        });
      }
    });
    for (const f of flagged) this.options.log?.(`identity ${f.identityId} is stalled: ${f.exception}`);
    return flagged;
  }

  private async view(directoryId: string, identityId: string): Promise<RunView> {
    const workflowId = identityWorkflowId(directoryId, identityId);
    const handle = this.client.workflow.getHandle(workflowId);
    let description;
    try {
      description = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
      throw err;
    }
    const status = description.status.name;
    if (status === 'RUNNING')
      return { status, pendingTaskAttempt: description.raw.pendingWorkflowTask?.attempt ?? undefined };
    return { status, closeMessage: await this.closeMessage(workflowId) };
  }

  /** Why a closed run closed: its failure's message, or the reason it was terminated with. */
  private async closeMessage(workflowId: string): Promise<string | undefined> {
    const { history } = await this.client.workflowService.getWorkflowExecutionHistory({
      namespace: this.client.options.namespace,
      execution: { workflowId },
      historyEventFilterType: 2, // HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT: only the close event
    });
    const event = history?.events?.[0];
    return (
      event?.workflowExecutionFailedEventAttributes?.failure?.message ??
      event?.workflowExecutionTerminatedEventAttributes?.reason ??
      undefined
    );
  }
}
