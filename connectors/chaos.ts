// connectors/chaos.ts: opt-in fault injection around any connector (app config `chaos`), for resilience drills and tests.
import { z } from 'zod';
import type { Connector } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';

export const ChaosConfigSchema = z
  .object({
    /** Probability (0..1) that a call fails with a transient error before reaching the app. */
    transientFailureRate: z.number().min(0).max(1).default(0),
    /** Extra latency added to every call, in milliseconds. */
    delayMs: z.number().int().min(0).default(0),
    /** Latency added after the app has answered (the window in which a crash leaves a done-but-unrecorded call). */
    delayAfterMs: z.number().int().min(0).default(0),
    /** Entitlements the app refuses permanently (a grant answers like a 403): drills compensation. */
    rejectEntitlements: z.array(z.string()).default([]),
    /** Entitlements the app says it granted (2xx) but drops: drills the grant read-back. */
    dropGrants: z.array(z.string()).default([]),
  })
  .strict();
export type ChaosConfig = z.infer<typeof ChaosConfigSchema>;

export function withChaos(inner: Connector, config: ChaosConfig, random: () => number = Math.random): Connector {
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (config.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.delayMs));
      if (random() < config.transientFailureRate)
        throw new DownstreamUnavailableError(`chaos: injected transient failure in ${name}`, 503);
      const result = await fn(...args);
      if (config.delayAfterMs > 0) await new Promise((resolve) => setTimeout(resolve, config.delayAfterMs));
      return result;
    };
  return {
    getAccount: wrap('getAccount', (id, o) => inner.getAccount(id, o)),
    searchAccounts: wrap('searchAccounts', (attribute, value, o) => inner.searchAccounts(attribute, value, o)),
    createAccount: wrap('createAccount', (spec, o) => inner.createAccount(spec, o)),
    updateAccount: wrap('updateAccount', (id, spec, o) => inner.updateAccount(id, spec, o)),
    disableAccount: wrap('disableAccount', (id, o) => inner.disableAccount(id, o)),
    deleteAccount: wrap('deleteAccount', (id, o) => inner.deleteAccount(id, o)),
    grantEntitlement: wrap('grantEntitlement', (id, e, o) => {
      if (config.rejectEntitlements.includes(e))
        throw new DownstreamRejectedError(`chaos: the app refuses entitlement ${e}`, 403);
      if (config.dropGrants.includes(e)) return Promise.resolve(); // "done", and nothing was done
      return inner.grantEntitlement(id, e, o);
    }),
    revokeEntitlement: wrap('revokeEntitlement', (id, e, o) => inner.revokeEntitlement(id, e, o)),
    heldEntitlements: wrap('heldEntitlements', (id, among, o) => inner.heldEntitlements(id, among, o)),
    listAccounts: wrap('listAccounts', (start, count, o) => inner.listAccounts(start, count, o)),
    entitlementHolders: wrap('entitlementHolders', (among, o) => inner.entitlementHolders(among, o)),
  };
}
