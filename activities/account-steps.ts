// activities/account-steps.ts: an identity's account in one app: provision (intent first, adopt by match order), revoke.
import type { Connector, ReadOptions, RemoteAccount } from '../connectors/connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from '../connectors/connector';
import type { AccountMatch } from '../domain/accounts/match';
import { describeAmbiguity, matchStage } from '../domain/accounts/match';
import type { GrantInput, GrantResult, RevokeInput } from '../workflows/contracts';
import type { AppTarget, StepKit } from './step-kit';
import { AmbiguousAccountError, RevocationNotVerifiedError } from './step-kit';

interface Identifiers {
  remoteId: string | null;
  externalId?: string;
  userName?: string;
}

/**
 * Finds the identity's account in the app by the documented match order (domain/accounts/match.ts): the recorded id,
 * then externalId, then userName. Accounts another identity holds are skipped; several candidates are ambiguous.
 */
export async function findOwnAccount(
  kit: StepKit,
  target: AppTarget,
  connector: Connector,
  ids: Identifiers,
  read: ReadOptions,
): Promise<AccountMatch<RemoteAccount>> {
  /** The candidates scimflow records as another identity's (read before the synchronous match stage decides). */
  const claimedAmong = async (candidates: readonly RemoteAccount[]): Promise<Set<string>> => {
    const claimed = new Set<string>();
    for (const id of new Set(candidates.map((c) => c.id)))
      if (await kit.stores.applied.claimedByOther(target.appId, id, target.identityId)) claimed.add(id);
    return claimed;
  };
  if (ids.remoteId) {
    const recorded = await connector.getAccount(ids.remoteId, read);
    if (recorded) return { kind: 'found', account: recorded, by: 'id' };
  }
  for (const [by, value] of [
    ['externalId', ids.externalId],
    ['userName', ids.userName],
  ] as const) {
    if (!value) continue;
    const candidates = await connector.searchAccounts(by, value, read);
    const claimed = await claimedAmong(candidates);
    const match = matchStage(by, candidates, (id) => claimed.has(id));
    if (match) return match;
  }
  return { kind: 'none' };
}

/** An ambiguous match is an operator's decision, never a guess: thrown as a type the step proxies do not retry. */
function refuseAmbiguity(
  match: AccountMatch<RemoteAccount>,
  detail: string,
): asserts match is Exclude<AccountMatch<RemoteAccount>, { kind: 'ambiguous' }> {
  if (match.kind === 'ambiguous') throw new AmbiguousAccountError(`${describeAmbiguity(match)}; ${detail}`);
}

export function createAccountSteps(kit: StepKit) {
  /** Creates the account, or adopts the one a conflict (409) says exists: the outcome is read back either way. */
  async function createOrAdopt(
    target: AppTarget,
    connector: Connector,
    ids: Identifiers,
    spec: Parameters<Connector['createAccount']>[0],
  ): Promise<{ account: RemoteAccount; adoptedBy?: string }> {
    const found = await findOwnAccount(kit, target, connector, ids, kit.whole(target));
    refuseAmbiguity(found, 'nothing was created');
    if (found.kind === 'found') {
      kit.checkpoint();
      return { account: await connector.updateAccount(found.account.id, spec, kit.whole(target)), adoptedBy: found.by };
    }
    kit.checkpoint();
    try {
      return { account: await connector.createAccount(spec, kit.whole(target, '/create')) };
    } catch (err) {
      if (!(err instanceof DownstreamRejectedError && err.status === 409)) throw err;
      // Created meanwhile (our own earlier attempt whose answer was lost, or a concurrent writer): look again.
      const again = await findOwnAccount(kit, target, connector, ids, kit.whole(target));
      refuseAmbiguity(again, 'the app answered 409 to a create');
      if (again.kind !== 'found')
        throw new DownstreamUnavailableError(`the app answered 409 to a create, but no account matches yet`, 409);
      kit.checkpoint();
      return {
        account: await connector.updateAccount(again.account.id, spec, kit.whole(target)),
        adoptedBy: again.by,
      };
    }
  }

  return {
    /**
     * Gives the identity its account in the app, as the store says it should be now (not as planned: a newer change
     * wins). The intent is recorded before anything can fail, so an account whose create answer was lost is adopted
     * (or revoked) later, never forgotten.
     */
    async provisionAccount(input: GrantInput): Promise<GrantResult> {
      const { state, spec } = await kit.desired(input);
      const want = state.apps.find((a) => a.appId === input.appId);
      if (!spec || want?.account !== 'active') return { outcome: 'superseded', accountCreated: false };
      kit.checkpoint();
      const connector = await kit.connector(input);
      const known = await kit.applied(input);
      const live = known?.remoteId && known.state !== 'pending' && known.state !== 'deleted' ? known : undefined;
      const existing = live?.remoteId ? await connector.getAccount(live.remoteId, kit.abortable(input)) : undefined;
      if (existing) {
        kit.checkpoint();
        const account = await connector.updateAccount(existing.id, spec, kit.whole(input));
        await kit.save(input, {
          remoteId: account.id,
          state: 'active',
          specHash: want.specHash,
          revocationVerified: false,
        });
        await kit.audit(input, existing.active ? 'account.updated' : 'account.enabled', { remoteId: account.id });
        return { outcome: 'done', accountCreated: false };
      }
      await kit.save(input, {
        state: 'pending',
        remoteId: null,
        specHash: null,
        entitlements: [],
        revocationVerified: false,
        intentKey: input.idempotencyKey,
      });
      await kit.audit(input, 'account.intent', { userName: spec.userName.slice(0, 256) });
      const ids = { remoteId: known?.remoteId ?? null, externalId: spec.externalId, userName: spec.userName };
      const { account, adoptedBy } = await createOrAdopt(input, connector, ids, spec);
      await kit.save(input, {
        remoteId: account.id,
        state: 'active',
        specHash: want.specHash,
        revocationVerified: false,
        intentKey: null,
      });
      await kit.audit(input, adoptedBy ? 'account.adopted' : 'account.created', {
        remoteId: account.id,
        ...(adoptedBy ? { matchedBy: adoptedBy } : {}),
      });
      return { outcome: 'done', accountCreated: true };
    },

    /**
     * Removes the identity's access in the app: disables (or deletes) its account, then reads the app back. Works
     * whatever happened before: with no recorded account, or only a create intent, the app is searched by the match
     * order. Nothing found counts as revoked (verified by that search).
     */
    async revokeAccount(input: RevokeInput): Promise<void> {
      if (input.step.kind !== 'revokeAccount') throw new Error('revokeAccount needs a revokeAccount step');
      const mode = input.step.mode;
      const connector = await kit.connector(input);
      const known = await kit.applied(input);
      const { state, spec } = await kit.desired(input);
      // A step that runs late (a retry after a newer change, a worker that lost its task) must not disable an account
      // the identity should have again: the newer convergence plans what is needed.
      if (state.apps.find((a) => a.appId === input.appId)?.account === 'active') return;
      const read = kit.abortable(input);
      const ids = { remoteId: known?.remoteId ?? null, externalId: spec?.externalId, userName: spec?.userName };
      const found = await findOwnAccount(kit, input, connector, ids, read);
      refuseAmbiguity(found, 'the account may still be active');
      if (found.kind === 'none') {
        await kit.save(input, { state: 'deleted', revocationVerified: true, entitlements: [], intentKey: null });
        await kit.audit(input, 'revocation.verified', {
          expect: mode,
          found: false,
          userName: spec?.userName.slice(0, 256),
        });
        return;
      }
      const account = found.account;
      if (found.by !== 'id') await kit.audit(input, 'account.adopted', { remoteId: account.id, matchedBy: found.by });
      if (mode === 'delete') await connector.deleteAccount(account.id, kit.abortable(input, '/delete'));
      else if (account.active) await connector.disableAccount(account.id, kit.abortable(input, '/disable'));
      const after = await connector.getAccount(account.id, read);
      if (mode === 'delete' && after) throw new RevocationNotVerifiedError(`account ${account.id} still exists`);
      if (after?.active) throw new RevocationNotVerifiedError(`account ${account.id} is still active`);
      const gone = after === undefined;
      await kit.save(input, {
        remoteId: account.id,
        state: gone ? 'deleted' : 'disabled',
        revocationVerified: true,
        intentKey: null,
        ...(gone ? { entitlements: [] } : {}),
      });
      await kit.audit(input, mode === 'delete' ? 'account.deleted' : 'account.disabled', {
        remoteId: account.id,
        ...(account.active || mode === 'delete' ? {} : { alreadyDisabled: true }),
      });
      await kit.audit(input, 'revocation.verified', { expect: mode, remoteId: account.id });
    },
  };
}
