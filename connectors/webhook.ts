// connectors/webhook.ts: an app that is not a SCIM server: told by signed HTTP POSTs of its accounts' changes.
import type { ChangeSource } from '../domain/apps/change-source';
import type { Stores } from '../store';
import type { AccountSpec, CallOptions, Connector, RemoteAccount } from './connector';
import { DownstreamRejectedError } from './connector';
import { createLocalAppConnector } from './local-app';
import { setClaims } from './scim-set';
import type { WebhookApp, WebhookAppConfig } from './webhook-config';
import { createWebhookSender, hash } from './webhook-sender';
import { createStatusReader } from './webhook-status';

export type WebhookEventType =
  | 'account.created'
  | 'account.updated'
  | 'account.disabled'
  | 'account.deleted'
  | 'entitlement.granted'
  | 'entitlement.revoked';

const uuidOf = (h: string) =>
  `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;

/**
 * The account id scimflow gives an identity in a webhook app: derived from the app and the identity, so a retried
 * create names the same account and a group event can name a member's account before it is created.
 */
export const webhookAccountId = (appId: string, identityId: string) => uuidOf(hash('account', appId, identityId));

/** A create's account id: the identity's, or (a key that names no identity) one derived from the key. */
const accountIdOf = (appId: string, idempotencyKey: string) => {
  const identityId = changeOf(idempotencyKey)?.identityId;
  return identityId ? webhookAccountId(appId, identityId) : uuidOf(hash('account', appId, idempotencyKey));
};

/** `identity/<directory>/<identity>/<seq>/<app>/<step>…` (workflows/contracts.ts): the identity and the change. */
function changeOf(idempotencyKey: string): { directoryId: string; identityId: string; seq: number } | undefined {
  const m = /^identity\/([^/]+)\/([^/]+)\/(\d+)\//.exec(idempotencyKey);
  return m ? { directoryId: m[1]!, identityId: m[2]!, seq: Number(m[3]) } : undefined;
}

/** Where a directory change came from (its log event's kind); undefined once the event is pruned. */
export type SourceOf = (directoryId: string, seq: number) => Promise<ChangeSource | undefined>;

/**
 * What the app was told is kept like the local demo app's accounts (`local_accounts`): reads answer from it, so a
 * revocation counts as verified once the endpoint acknowledged it. Access given is recorded before the POST (a POST
 * whose answer was lost may have been applied: a leaver still revokes it), access taken away only after the 2xx.
 */
export function createWebhookConnector(
  accounts: Stores['localAccounts'],
  deliveries: Stores['webhooks'],
  app: WebhookApp,
  config: WebhookAppConfig,
  sourceOf: SourceOf = async () => undefined,
  now: () => Date = () => new Date(),
): Connector {
  const sender = createWebhookSender(deliveries, app, config, now);
  const ledger = createLocalAppConnector(accounts, app.id, {
    newId: (_spec, options) => accountIdOf(app.id, options.idempotencyKey),
  });

  async function send(
    type: WebhookEventType,
    remoteId: string,
    details: {
      account: RemoteAccount & { attributes?: AccountSpec };
      entitlement?: string;
      previous?: Record<string, unknown>;
    },
    options: CallOptions,
    held?: string[],
  ): Promise<void> {
    // The id names what the event says, not `previous` (read from the record, which a retried enable has already moved).
    const content = JSON.stringify({ account: details.account, entitlement: details.entitlement });
    const eventId = `msg_${hash(app.id, options.idempotencyKey, type, remoteId, content).slice(0, 32)}`;
    const change = changeOf(options.idempotencyKey);
    const source = change && (await sourceOf(change.directoryId, change.seq));
    const facts = {
      app: { id: app.id, name: app.name },
      ...(change ? { directoryId: change.directoryId, identityId: change.identityId } : {}),
      ...(source ? { source } : {}),
    };
    const build = (sequence: number, createdAt: string) =>
      JSON.stringify(
        config.set && config.format === 'scim-set'
          ? setClaims(
              {
                type,
                eventId,
                txn: change && `${change.directoryId}.${change.seq}`,
                sequence,
                createdAt,
                ...details,
                ...(held ? { held } : {}),
                scimflow: { ...facts, type },
              },
              config.set,
            )
          : { id: eventId, type, timestamp: createdAt, data: { ...facts, sequence, ...details } },
      );
    await sender.send({ type, eventId, subject: remoteId, changeSeq: change?.seq ?? 0, build }, options);
  }

  const readStatus =
    config.statusUrl === undefined
      ? undefined
      : createStatusReader({
          appName: app.name,
          statusUrl: config.statusUrl,
          timeoutMs: config.timeoutMs,
          authHeaders: sender.statusAuth,
        });

  /** What the app was told the account holds (a SET's put:full carries it: it replaces the receiver's). */
  const entitlementsOf = async (remoteId: string): Promise<string[]> =>
    (await accounts.get(app.id, remoteId))?.entitlements ?? [];

  /** The attributes the app was last told, of those an update changes: the event's `previous`. */
  const previousOf = async (remoteId: string, spec: AccountSpec): Promise<Record<string, unknown>> => {
    const before = (await accounts.get(app.id, remoteId))?.doc ?? {};
    const keys = new Set([...Object.keys(before), ...Object.keys(spec)]);
    const changed = [...keys].filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify((spec as Record<string, unknown>)[k]),
    );
    return Object.fromEntries(changed.map((k) => [k, before[k] ?? null]));
  };

  return {
    // With a status URL the app's own answer decides whether the account exists and is enabled, and what it holds:
    // a revocation is verified only when the app says so. Without one, what the app acknowledged is the record.
    async getAccount(remoteId, options) {
      const told = await ledger.getAccount(remoteId, options);
      if (!readStatus) return told;
      const status = await readStatus(remoteId, options);
      if (!status) return undefined;
      return { id: remoteId, userName: told?.userName ?? '', externalId: told?.externalId, active: status.active };
    },
    async heldEntitlements(remoteId, among, options) {
      if (!readStatus) return ledger.heldEntitlements(remoteId, among, options);
      const held = (await readStatus(remoteId, options))?.entitlements ?? [];
      return among.filter((e) => held.includes(e));
    },
    searchAccounts: (attribute, value, options) => ledger.searchAccounts(attribute, value, options),
    listAccounts: (startIndex, count, options) => ledger.listAccounts(startIndex, count, options),
    entitlementHolders: (entitlements, options) => ledger.entitlementHolders(entitlements, options),

    async createAccount(spec, options) {
      const account = await ledger.createAccount(spec, options);
      await send('account.created', account.id, { account: { ...account, attributes: spec } }, options);
      return account;
    },
    async updateAccount(remoteId, spec, options) {
      const before = await ledger.getAccount(remoteId);
      if (!before) throw new DownstreamRejectedError(`${app.name}: no account ${remoteId}`, 404);
      const account = { ...before, userName: spec.userName, externalId: spec.externalId, active: spec.active };
      const event = { account: { ...account, attributes: spec }, previous: await previousOf(remoteId, spec) };
      // Enabling gives access: recorded first. Anything else is recorded once the endpoint has it.
      if (spec.active) await ledger.updateAccount(remoteId, spec, options);
      await send('account.updated', remoteId, event, options, await entitlementsOf(remoteId));
      return spec.active ? account : ledger.updateAccount(remoteId, spec, options);
    },
    async disableAccount(remoteId, options) {
      const before = await ledger.getAccount(remoteId);
      if (!before) return undefined;
      await send('account.disabled', remoteId, { account: { ...before, active: false } }, options);
      return ledger.disableAccount(remoteId, options);
    },
    async deleteAccount(remoteId, options) {
      const before = await ledger.getAccount(remoteId);
      if (!before) return;
      await send('account.deleted', remoteId, { account: before }, options);
      await ledger.deleteAccount(remoteId, options);
    },
    async grantEntitlement(remoteId, entitlement, options) {
      const account = await ledger.getAccount(remoteId);
      if (!account) throw new DownstreamRejectedError(`${app.name}: no account ${remoteId}`, 404);
      await ledger.grantEntitlement(remoteId, entitlement, options);
      await send('entitlement.granted', remoteId, { account, entitlement }, options);
    },
    async revokeEntitlement(remoteId, entitlement, options) {
      const account = await ledger.getAccount(remoteId);
      if (!account) return; // never told about this account: nothing to take back
      await send('entitlement.revoked', remoteId, { account, entitlement }, options);
      await ledger.revokeEntitlement(remoteId, entitlement, options);
    },
  };
}
