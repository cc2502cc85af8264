// connectors/throttled.ts: every request to an app passes its gate (rate limit, concurrency, circuit breaker) first.
import type { Connector } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import { appCalls, appGateWaitSeconds, gateReason } from '../metrics/registry';

export type GateEntry = { ok: true; ticket: string | null } | { ok: false; waitMs: number; reason: string };

/** Admission for one app's requests, kept where every worker sees it (store/app-throttle.ts behind it). */
export interface CallGate {
  enter(): Promise<GateEntry>;
  /**
   * `answered` for any answer of the app (a refusal included); `transient` for no answer, a timeout, 429 or 5xx;
   * `cancelled` when we gave up on the call ourselves (says nothing about the app).
   */
  leave(ticket: string | null, outcome: 'answered' | 'transient' | 'cancelled', error?: string): Promise<void>;
}

/**
 * A request the gate refuses fails at once as a transient failure carrying the wait (`retryAfterMs`): the activity
 * ends and Temporal schedules its retry after that wait, so no worker slot is held while the app is at its limit.
 */
export function withGate(inner: Connector, appName: string, gate: CallGate): Connector {
  const through =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const entry = await gate.enter();
      if (!entry.ok) {
        const reason = gateReason(entry.reason);
        appCalls.inc({ app: appName, outcome: 'refused' });
        appGateWaitSeconds.inc({ app: appName, reason }, entry.waitMs / 1000);
        throw new DownstreamUnavailableError(
          `app ${appName}: ${entry.reason}; retry in ${entry.waitMs} ms`,
          undefined,
          entry.waitMs,
        );
      }
      try {
        const result = await fn(...args);
        await gate.leave(entry.ticket, 'answered');
        appCalls.inc({ app: appName, outcome: 'answered' });
        return result;
      } catch (err) {
        const outcome =
          err instanceof DownstreamRejectedError
            ? 'answered'
            : (err as Error).name === 'AbortError'
              ? 'cancelled'
              : 'transient';
        await gate.leave(entry.ticket, outcome, (err as Error).message);
        appCalls.inc({ app: appName, outcome });
        throw err;
      }
    };
  return {
    getAccount: through((id, o) => inner.getAccount(id, o)),
    searchAccounts: through((attribute, value, o) => inner.searchAccounts(attribute, value, o)),
    createAccount: through((spec, o) => inner.createAccount(spec, o)),
    updateAccount: through((id, spec, o) => inner.updateAccount(id, spec, o)),
    disableAccount: through((id, o) => inner.disableAccount(id, o)),
    deleteAccount: through((id, o) => inner.deleteAccount(id, o)),
    grantEntitlement: through((id, e, o) => inner.grantEntitlement(id, e, o)),
    revokeEntitlement: through((id, e, o) => inner.revokeEntitlement(id, e, o)),
    heldEntitlements: through((id, among, o) => inner.heldEntitlements(id, among, o)),
    listAccounts: through((start, count, o) => inner.listAccounts(start, count, o)),
    entitlementHolders: through((among, o) => inner.entitlementHolders(among, o)),
  };
}
