// connectors/local-app.ts: the built-in demo app; keeps accounts in scimflow's own database (store/local-accounts.ts).
import crypto from 'node:crypto';
import type { Stores } from '../store';
import type { LocalAccountRecord } from '../store/local-accounts';
import { UniqueViolationError } from '../store/errors';
import type { AccountSpec, CallOptions, Connector, RemoteAccount } from './connector';
import { DownstreamRejectedError } from './connector';

const toRemote = (a: LocalAccountRecord): RemoteAccount => ({
  id: a.id,
  userName: a.userName,
  externalId: a.externalId,
  active: a.active,
});

export interface LocalAppOptions {
  /** The id a new account gets (default: a random UUID); a webhook app derives it from the app and the identity. */
  newId?: (spec: AccountSpec, options: CallOptions) => string;
}

export function createLocalAppConnector(
  accounts: Stores['localAccounts'],
  appId: string,
  opts: LocalAppOptions = {},
): Connector {
  const now = () => new Date().toISOString();

  async function read(remoteId: string): Promise<LocalAccountRecord> {
    const account = await accounts.get(appId, remoteId);
    if (!account) throw new DownstreamRejectedError(`local app: no account ${remoteId}`, 404);
    return account;
  }

  return {
    async getAccount(remoteId) {
      const account = await accounts.get(appId, remoteId);
      return account ? toRemote(account) : undefined;
    },
    async searchAccounts(attribute, value) {
      return (await accounts.find(appId, attribute, value)).map(toRemote);
    },
    async createAccount(spec: AccountSpec, options: CallOptions) {
      const id = opts.newId ? opts.newId(spec, options) : crypto.randomUUID();
      try {
        await accounts.insert(appId, id, spec, now());
      } catch (err) {
        if (err instanceof UniqueViolationError)
          throw new DownstreamRejectedError(`local app: an account named ${spec.userName} exists already`, 409);
        throw err;
      }
      return toRemote(await read(id));
    },
    async updateAccount(remoteId, spec) {
      await read(remoteId);
      await accounts.update(appId, remoteId, spec, now());
      return toRemote(await read(remoteId));
    },
    async disableAccount(remoteId) {
      if (!(await accounts.get(appId, remoteId))) return undefined;
      await accounts.disable(appId, remoteId, now());
      return toRemote(await read(remoteId));
    },
    async deleteAccount(remoteId) {
      await accounts.delete(appId, remoteId);
    },
    async grantEntitlement(remoteId, entitlement) {
      if (!(await accounts.changeEntitlements(appId, remoteId, (held) => held.add(entitlement), now())))
        throw new DownstreamRejectedError(`local app: no account ${remoteId}`, 404);
    },
    async revokeEntitlement(remoteId, entitlement) {
      await accounts.changeEntitlements(appId, remoteId, (held) => held.delete(entitlement), now());
    },
    async heldEntitlements(remoteId, among) {
      const held = (await accounts.get(appId, remoteId))?.entitlements ?? [];
      return among.filter((e) => held.includes(e));
    },
    async listAccounts(startIndex, count) {
      const { accounts: page, total } = await accounts.page(appId, count, Math.max(0, startIndex - 1));
      return {
        accounts: page.map((a) => ({
          ...toRemote(a),
          attributes: { id: a.id, ...a.doc },
          entitlements: a.entitlements,
        })),
        totalResults: total,
      };
    },
    async entitlementHolders() {
      return null; // each account carries its entitlements
    },
  };
}
