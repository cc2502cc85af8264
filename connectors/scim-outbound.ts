// connectors/scim-outbound.ts: the outbound SCIM 2.0 connector: provisions accounts into a downstream app's /Users and /Groups.
import { z } from 'zod';
import type { AccountSpec, CallOptions, Connector, RemoteAccount } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import type { EntitlementStrategy } from './scim-outbound-entitlements';
import { createGroupEntitlements, createRoleEntitlements } from './scim-outbound-entitlements';
import { createScimSend } from './scim-outbound-http';
import type { FetchedUser, ScimUser } from './scim-outbound-resources';
import { ScimUserSchema, eqFilter, parseResource, sameName, searchAll, toFetchedUser } from './scim-outbound-resources';
import { bodyHash, createBody, replaceBody, sameJson, withoutReadOnly } from './scim-outbound-user-body';

export const ScimAppConfigSchema = z.object({
  /** Base URL of the app's SCIM API, e.g. https://app.example.com/scim/v2 (a trailing slash is fine). */
  url: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  token: z.string().min(1),
  timeoutMs: z.number().int().positive().default(30_000),
  /** groups: entitlements are app-side Groups matched by displayName; roles: values of the User's `roles` attribute. */
  entitlementMode: z.enum(['groups', 'roles']).default('groups'),
});
/** The input shape: timeoutMs and entitlementMode may be left out. */
export type ScimAppConfig = z.input<typeof ScimAppConfigSchema>;

/** A concurrent writer changed the account between our read and our PUT; each round re-reads it. */
const MAX_REPLACE_ROUNDS = 3;

const isRejected = (err: unknown, status: number): boolean =>
  err instanceof DownstreamRejectedError && err.status === status;

export function createScimConnector(config: ScimAppConfig, deps: { fetch?: typeof fetch } = {}): Connector {
  const settings = ScimAppConfigSchema.parse(config);
  const send = createScimSend(settings, deps.fetch);
  const userPath = (id: string) => `/Users/${encodeURIComponent(id)}`;

  async function readUser(id: string): Promise<FetchedUser | undefined> {
    try {
      return toFetchedUser('GET /Users/{id}', await send({ method: 'GET', path: userPath(id) }));
    } catch (err) {
      if (isRejected(err, 404)) return undefined;
      throw err;
    }
  }

  const entitlements: EntitlementStrategy =
    settings.entitlementMode === 'groups'
      ? createGroupEntitlements(send, readUser)
      : createRoleEntitlements(send, readUser);

  async function searchUsers(attribute: 'externalId' | 'userName', value: string): Promise<ScimUser[]> {
    const found = await searchAll(send, '/Users', eqFilter(attribute, value));
    const users = found.map((user) => parseResource(ScimUserSchema, 'GET /Users', user));
    return users.filter((user) =>
      attribute === 'userName' ? sameName(user.userName, value) : user.externalId === value,
    );
  }

  async function findUser(query: { userName: string; externalId?: string }): Promise<FetchedUser | undefined> {
    if (query.externalId) {
      try {
        const [byExternalId] = await searchUsers('externalId', query.externalId);
        if (byExternalId) return readUser(byExternalId.id); // a fresh read carries the ETag that list results lack
      } catch (err) {
        if (!isRejected(err, 400)) throw err; // 400: the app cannot filter on externalId; userName still identifies the account
      }
    }
    const [byUserName] = await searchUsers('userName', query.userName);
    return byUserName ? readUser(byUserName.id) : undefined;
  }

  async function toRemote(user: ScimUser): Promise<RemoteAccount> {
    return {
      id: user.id,
      userName: user.userName,
      ...(user.externalId ? { externalId: user.externalId } : {}),
      active: user.active ?? true, // `active` is optional in RFC 7643; an app without the notion keeps accounts usable
      entitlements: await entitlements.held(user),
    };
  }

  /**
   * PUT, not PATCH: RFC 7644 makes PATCH optional (ServiceProviderConfig.patch) and apps disagree on its edge cases (removing an
   * absent attribute, value paths), while every app implements PUT. The body is merged over a fresh read, so attributes we do not
   * manage survive, and If-Match (when the app has ETags) stops that merge from overwriting a concurrent change.
   */
  async function replaceUser(fetched: FetchedUser, spec: AccountSpec, options: CallOptions): Promise<RemoteAccount> {
    let current: FetchedUser | undefined = fetched;
    for (let round = 1; current; round++) {
      const { user, version } = current;
      const body = replaceBody(user, spec);
      if (sameJson(body, withoutReadOnly(user))) return toRemote(user); // already right: no write, so retries cost nothing
      try {
        const key = `${options.idempotencyKey}/replace-user/${bodyHash(body)}`;
        const response = await send({
          method: 'PUT',
          path: userPath(user.id),
          body,
          idempotencyKey: key,
          ifMatch: version,
        });
        const updated =
          response.body === undefined ? await readUser(user.id) : toFetchedUser('PUT /Users/{id}', response);
        if (!updated) break;
        return toRemote(updated.user);
      } catch (err) {
        if (!(err instanceof DownstreamUnavailableError && err.status === 412) || round >= MAX_REPLACE_ROUNDS)
          throw err;
        current = await readUser(user.id);
      }
    }
    throw new DownstreamRejectedError(`PUT /Users/${fetched.user.id}: the app no longer has the account`, 404);
  }

  return {
    async findAccount(query) {
      const found = await findUser(query);
      return found && toRemote(found.user);
    },

    async getAccount(remoteId) {
      const found = await readUser(remoteId);
      return found && toRemote(found.user);
    },

    async createAccount(spec, options) {
      // Look first: a retried activity whose first POST did land must adopt that account, not create a second one.
      const existing = await findUser(spec);
      if (existing) return replaceUser(existing, spec, options);
      try {
        const key = `${options.idempotencyKey}/create-user`;
        const response = await send({ method: 'POST', path: '/Users', body: createBody(spec), idempotencyKey: key });
        if (response.body !== undefined) return await toRemote(toFetchedUser('POST /Users', response).user);
      } catch (err) {
        if (!isRejected(err, 409)) throw err;
      }
      // 409 (created meanwhile, or matched case-insensitively), or a 201 without a body: the account should now be findable.
      const adopted = await findUser(spec);
      if (adopted) return replaceUser(adopted, spec, options);
      throw new DownstreamRejectedError(
        `POST /Users: no account "${spec.userName}" is found after a conflict or an empty answer`,
        409,
      );
    },

    async updateAccount(remoteId, spec, options) {
      const found = await readUser(remoteId);
      if (!found) throw new DownstreamRejectedError(`GET /Users/${remoteId}: the app has no such account`, 404);
      return replaceUser(found, spec, options);
    },

    async deleteAccount(remoteId, options) {
      try {
        const key = `${options.idempotencyKey}/delete-user`;
        await send({ method: 'DELETE', path: userPath(remoteId), idempotencyKey: key });
      } catch (err) {
        if (!isRejected(err, 404)) throw err; // already gone counts as deleted
      }
    },

    grantEntitlement: (remoteId, entitlement, options) => entitlements.grant(remoteId, entitlement, options),
    revokeEntitlement: (remoteId, entitlement, options) => entitlements.revoke(remoteId, entitlement, options),
  };
}
