// activities/nhi-handover.ts: when a person leaves, the non-human identities they own are transferred to their manager
// or revoked (the directory's policy); a transfer without a known manager is an exception, never a silent keep.
import { Context } from '@temporalio/activity';
import { withHrAttributes, ENTERPRISE_URN, matchValuesOf } from '../domain/hr/match';
import { hrStatusAt } from '../domain/hr/status';
import { nhiEvent } from '../hr/nhi-ops';
import { hrSettingsOf } from '../hr/record';
import { signalIdentity } from '../runtime/identity-client';
import type { Stores } from '../store';
import { loadDesired } from '../store/desired-state';
import type { EventRow } from '../store/event-log';
import type { IdentityKey } from '../workflows/contracts';
import type { StepKit } from './step-kit';

export interface Handover {
  transferred: { nhi: string; to: string }[];
  revoked: string[];
  exceptions: { nhi: string; reason: string }[];
}

/** The owner's manager (HR's word first, then the IdP's) when that manager is a live, active user of the directory. */
async function activeManagerOf(stores: Stores, key: IdentityKey, now: Date): Promise<string | undefined> {
  const owner = await stores.resources.getAnyState(key.directoryId, key.identityId);
  if (!owner) return undefined;
  const hr = hrStatusAt(await stores.hr.factsFor(key.directoryId, key.identityId, matchValuesOf(owner.doc)), now);
  const doc = withHrAttributes(owner.doc, hr.attributes);
  const managerId = ((doc[ENTERPRISE_URN] as Record<string, unknown> | undefined)?.manager as { value?: unknown })
    ?.value;
  if (typeof managerId !== 'string' || managerId === key.identityId) return undefined;
  const manager = (await loadDesired(stores, key.directoryId, managerId, undefined, now)).state;
  return manager.status === 'active' && manager.kind !== 'service' ? managerId : undefined;
}

export function createNhiHandover(kit: StepKit) {
  const { stores } = kit;
  return {
    /** Hands on (or revokes) what a leaver owns; the revoked NHIs' workflows are signalled to take their accounts. */
    async handOverNhis(input: IdentityKey & { leftAt: string }): Promise<Handover> {
      const now = kit.now();
      const at = now.toISOString();
      const settings = hrSettingsOf((await stores.directories.get(input.directoryId))?.config ?? {});
      const owned = await stores.nhis.ownedActive(input.directoryId, input.identityId);
      const result: Handover = { transferred: [], revoked: [], exceptions: [] };
      if (owned.length === 0) return result;
      const manager = settings.nhiOnOwnerLeave === 'transfer' ? await activeManagerOf(stores, input, now) : undefined;
      const events: EventRow[] = [];
      await stores.atomically(async () => {
        for (const nhi of owned) {
          const audit = (action: string, detail: Record<string, unknown>) =>
            stores.applied.audit({
              directoryId: input.directoryId,
              identityId: nhi.id,
              action,
              detail: { owner: input.identityId, ownerLeftAt: input.leftAt, ...detail },
            });
          if (settings.nhiOnOwnerLeave === 'transfer' && manager) {
            await stores.nhis.transfer(input.directoryId, nhi.id, manager, at);
            await audit('nhi.transferred', { to: manager });
            events.push(
              ...(await stores.events.append(input.directoryId, [nhiEvent(nhi.id, 'nhi', { nhi: 'transferred' })], at)),
            );
            result.transferred.push({ nhi: nhi.id, to: manager });
          } else if (settings.nhiOnOwnerLeave === 'transfer') {
            const reason = `owner ${input.identityId} left and has no active manager to transfer it to: transfer or revoke it (scimflow nhi transfer|revoke)`;
            if (nhi.exception !== reason) {
              await stores.nhis.setException(input.directoryId, nhi.id, reason, at);
              await audit('nhi.exception', { reason });
            }
            result.exceptions.push({ nhi: nhi.id, reason });
          } else {
            const [event] = await stores.events.append(
              input.directoryId,
              [nhiEvent(nhi.id, 'nhi.revoked', { nhi: 'owner-left' })],
              at,
            );
            // Time to revoke counts from the owner's departure, not from this handover.
            await stores.nhis.revoke(
              input.directoryId,
              nhi.id,
              `owner ${input.identityId} left`,
              event!.seq,
              input.leftAt,
            );
            await audit('nhi.revoked', { reason: 'owner-left' });
            events.push(event!);
            result.revoked.push(nhi.id);
          }
        }
      });
      const client = Context.current().client;
      for (const event of events)
        await signalIdentity(client, {
          directoryId: event.directoryId,
          identityId: event.identityId,
          seq: event.seq,
          ...(event.kind === 'nhi.revoked' ? { priority: 'leaver' as const } : {}),
        });
      for (const event of events)
        await stores.events.markDelivered(event.directoryId, event.identityId, event.seq, new Date().toISOString());
      return result;
    },
  };
}
