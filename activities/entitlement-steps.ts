// activities/entitlement-steps.ts: an identity's entitlements in one app: grant (as desired now), revoke (read back), undo.
import type { CompensationInput, GrantInput, GrantResult, RevokeInput } from '../workflows/contracts';
import type { AppTarget, StepKit } from './step-kit';
import { GrantNotVerifiedError, RevocationNotVerifiedError } from './step-kit';
import { DownstreamRejectedError } from '../connectors/connector';

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createEntitlementSteps(kit: StepKit) {
  /**
   * Revokes each entitlement (one refusal does not stop the others), then reads the app back: the step succeeds only
   * when the app confirms none of them is held any more. What the app confirmed is recorded even when others fail.
   */
  async function revokeAll(target: AppTarget, entitlements: string[], action = 'entitlement.revoked'): Promise<void> {
    const known = await kit.applied(target);
    if (!known?.remoteId || known.state === 'deleted' || known.state === 'pending' || entitlements.length === 0) {
      if (known) await kit.save(target, { entitlements: known.entitlements.filter((e) => !entitlements.includes(e)) });
      return;
    }
    const connector = await kit.connector(target);
    const failures: string[] = [];
    for (const entitlement of entitlements) {
      try {
        await connector.revokeEntitlement(known.remoteId, entitlement, kit.abortable(target, `/revoke/${entitlement}`));
      } catch (err) {
        failures.push(`${entitlement}: ${messageOf(err)}`);
      }
    }
    const stillHeld = await connector.heldEntitlements(known.remoteId, entitlements, kit.abortable(target));
    const removed = entitlements.filter((e) => !stillHeld.includes(e));
    const latest = (await kit.applied(target)) ?? known;
    await kit.save(target, { entitlements: latest.entitlements.filter((e) => !removed.includes(e)) });
    for (const entitlement of removed) await kit.audit(target, action, { entitlement });
    if (removed.length > 0)
      await kit.audit(target, 'revocation.verified', { expect: 'entitlements', entitlements: removed });
    // The read-back is the verdict: a removal the app refused or never answered, of something it does not hold (a
    // grant recorded before its call that the app never applied), is no failure.
    if (stillHeld.length > 0)
      throw new RevocationNotVerifiedError(
        `the app still holds ${stillHeld.join(', ') || 'nothing it was asked about'}` +
          (failures.length > 0 ? `; refused: ${failures.join('; ')}` : ''),
      );
  }

  return {
    /**
     * Revokes what the plan asked for and the store still does not want now: a step that runs late (a retry after a
     * newer change, a worker that lost its task) must not take away an entitlement the identity was given back.
     */
    async revokeEntitlements(input: RevokeInput): Promise<void> {
      if (input.step.kind !== 'revokeEntitlements')
        throw new Error('revokeEntitlements needs a revokeEntitlements step');
      const want = (await kit.desired(input)).state.apps.find((a) => a.appId === input.appId);
      const wanted = want?.account === 'active' ? want.entitlements : [];
      await revokeAll(
        input,
        input.step.entitlements.filter((e) => !wanted.includes(e)),
      );
    },

    /** Grants what the plan asked for and the store still wants now; anything no longer wanted is left alone. */
    async grantEntitlements(input: GrantInput): Promise<GrantResult> {
      if (input.step.kind !== 'grantEntitlements') throw new Error('grantEntitlements needs a grantEntitlements step');
      const want = (await kit.desired(input)).state.apps.find((a) => a.appId === input.appId);
      const known = await kit.applied(input);
      const wanted = input.step.entitlements.filter((e) => want?.account === 'active' && want.entitlements.includes(e));
      if (wanted.length < input.step.entitlements.length || !known?.remoteId || known.state !== 'active')
        return { outcome: 'superseded', accountCreated: false };
      const connector = await kit.connector(input);
      for (const entitlement of wanted) {
        kit.checkpoint();
        // Recorded as held and confirmed by an earlier read-back: the read-back below checks it again.
        if (known.entitlements.includes(entitlement) && !known.unconfirmedEntitlements.includes(entitlement)) continue;
        // Recorded before the call, like an account's create intent: a grant the app applied but whose answer was lost,
        // and whose retry a newer change cancelled, is still on record, so the next revocation removes it (revocations
        // read the app back, so one the app never applied costs nothing). It stays unconfirmed until the read-back, so
        // the next plan grants it again if it is still wanted. The app's refusal un-records it.
        const before = (await kit.applied(input)) ?? known;
        await kit.save(input, {
          entitlements: [...before.entitlements, entitlement],
          unconfirmedEntitlements: [...before.unconfirmedEntitlements, entitlement],
        });
        try {
          await connector.grantEntitlement(known.remoteId, entitlement, kit.whole(input, `/grant/${entitlement}`));
        } catch (err) {
          if (err instanceof DownstreamRejectedError) {
            const latest = (await kit.applied(input)) ?? known;
            await kit.save(input, { entitlements: latest.entitlements.filter((e) => e !== entitlement) });
          }
          throw err;
        }
        await kit.audit(input, 'entitlement.granted', { entitlement });
      }
      // Read back, like revocations: an app that answers 2xx and drops the membership must not pass for granted.
      const held = await connector.heldEntitlements(known.remoteId, wanted, kit.abortable(input));
      const missing = wanted.filter((e) => !held.includes(e));
      const latest = (await kit.applied(input)) ?? known;
      if (missing.length > 0 || latest.unconfirmedEntitlements.some((e) => held.includes(e)))
        await kit.save(input, {
          entitlements: latest.entitlements.filter((e) => !missing.includes(e)),
          unconfirmedEntitlements: latest.unconfirmedEntitlements.filter((e) => !held.includes(e)),
        });
      if (missing.length > 0)
        throw new GrantNotVerifiedError(`the app does not show ${missing.join(', ')} after granting it`);
      await kit.audit(input, 'grant.verified', { entitlements: wanted });
      return { outcome: 'done', accountCreated: false };
    },

    /**
     * Undoes one run's grants in one app after the app refused a later one (per the policy's onGrantFailure): revokes
     * the entitlements the run was granting, then disables (or deletes) the account if the run created it.
     */
    async compensateApp(input: CompensationInput): Promise<void> {
      await revokeAll(input, input.entitlements, 'compensation.entitlement');
      const known = await kit.applied(input);
      if (!input.account || !known?.remoteId || known.state === 'deleted' || known.state === 'pending') return;
      const connector = await kit.connector(input);
      if ((await kit.deprovision(input)) === 'delete') {
        await connector.deleteAccount(known.remoteId, kit.abortable(input, '/undo-create'));
        await kit.save(input, { state: 'deleted', entitlements: [], revocationVerified: false });
      } else {
        const after = await connector.disableAccount(known.remoteId, kit.abortable(input, '/undo-create'));
        await kit.save(input, { state: after ? 'disabled' : 'deleted', revocationVerified: false });
      }
      await kit.audit(input, 'compensation.account', { remoteId: known.remoteId });
    },
  };
}
