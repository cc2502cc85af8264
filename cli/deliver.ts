// cli/deliver.ts: signals the identities of events a command just recorded (a policy or app change).
import { pokeGroupFeed } from '../runtime/group-feed-client';
import { signalIdentity } from '../runtime/identity-client';
import type { Stores } from '../store';
import type { EventRow } from '../store/event-log';
import { forEachBounded } from './bounded';
import { withTemporal } from './context';

/**
 * Signals the identities of freshly recorded events (bounded concurrency, progress on stderr) and marks them delivered.
 * If Temporal cannot be reached the events stay undelivered: the API's relay delivers them (`report lag` shows them).
 */
export async function deliver(
  stores: Stores,
  events: EventRow[],
  concurrency: number,
  options: { force?: boolean; leavers?: Set<string> } = {},
): Promise<number> {
  // Leavers first, their workflows raised to the top task priority (like the API's poker does).
  const leavers = options.leavers ?? new Set<string>();
  const ordered = [...events].sort((a, b) => Number(leavers.has(b.identityId)) - Number(leavers.has(a.identityId)));
  try {
    return await withTemporal(async (client) => {
      let done = 0;
      await forEachBounded(ordered, concurrency, async (event) => {
        await signalIdentity(client, {
          ...event,
          force: options.force ?? false,
          ...(leavers.has(event.identityId) ? { priority: 'leaver' as const } : {}),
        });
        await stores.events.markDelivered(event.directoryId, event.identityId, event.seq, new Date().toISOString());
        done += 1;
        if (done % 500 === 0) process.stderr.write(`signalled ${done}/${events.length}\n`);
      });
      return done;
    });
  } catch (err) {
    process.stderr.write(
      `scimflow: Temporal not reached (${(err as Error).message}); the API's relay delivers the events\n`,
    );
    return 0;
  }
}

/** Starts (or wakes) a webhook app's group feed; if Temporal cannot be reached, the next group write starts it. */
export async function startGroupFeed(appId: string): Promise<void> {
  try {
    await withTemporal((client) => pokeGroupFeed(client, appId));
  } catch (err) {
    process.stderr.write(
      `scimflow: Temporal not reached (${(err as Error).message}); the group feed starts with the next group change\n`,
    );
  }
}
