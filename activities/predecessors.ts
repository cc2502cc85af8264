// activities/predecessors.ts: earlier (deleted) identities of a userName whose deprovisioning has not finished yet.
import type { Stores } from '../store';

export class PredecessorPendingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PredecessorPendingError';
  }
}

export type PredecessorCheck = (directoryId: string, identityId: string, userName: string) => Promise<string[]>;

/**
 * An IdP may create a deleted user's userName again (a rehire, a re-push). Apps know accounts by userName, so the new
 * identity's createAccount adopts the old identity's account, while the old identity's leaver may still disable, delete
 * or verify that same account: the rehire would end disabled (or deleted), or the old revocation could never verify.
 * So a new identity provisions only once every earlier identity of its userName has finished converging.
 *
 * The partial index resources_deleted_user_name makes the lookup one index probe (store/resources.ts userIdentities).
 */
export function createPredecessorCheck(stores: Stores): PredecessorCheck {
  const unfinished = async (directoryId: string, id: string): Promise<boolean> => {
    const latest = await stores.events.latestSeqFor(directoryId, id);
    const progress = await stores.applied.progress(directoryId, id);
    if (!progress) return latest > 0; // no event, no workflow: nothing will ever touch its accounts
    return progress.processedSeq < latest || progress.lifecycle !== 'deprovisioned' || progress.exception !== null;
  };

  return async (directoryId, identityId, userName) => {
    const pending: string[] = [];
    for (const { id, deletedAt } of await stores.resources.userIdentities(directoryId, userName))
      if (deletedAt !== null && id !== identityId && (await unfinished(directoryId, id))) pending.push(id);
    return pending;
  };
}
