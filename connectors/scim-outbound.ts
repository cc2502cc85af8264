// connectors/scim-outbound.ts: the outbound SCIM 2.0 connector: provisions accounts into a downstream app's /Users and /Groups.
import { z } from 'zod';
import type { CallOptions, Connector, ReadOptions, RemoteAccount, SearchableAttribute } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import type { EntitlementStrategy } from './scim-outbound-entitlements';
import { createGroupEntitlements, createRoleEntitlements, noEntitlements } from './scim-outbound-entitlements';
import { ENTITLEMENT_MODES, ScimCapabilitiesSchema, searchModeOf, writeModeOf } from './scim-capabilities';
import { discoverWith } from './scim-discovery';
import { createScimSend } from './scim-outbound-http';
import { createClientCredentials, OAuthClientCredentialsSchema, staticToken } from './oauth-client-credentials';
import type { FetchedUser, ScimUser } from './scim-outbound-resources';
import {
  ListResponseSchema,
  ScimUserSchema,
  named,
  parseResource,
  searchAll,
  toFetchedUser,
} from './scim-outbound-resources';
import { bodyHash, createBody, replaceBody, sameJson, withoutReadOnly } from './scim-outbound-user-body';

export const ScimAppConfigSchema = z
  .object({
    /** Base URL of the app's SCIM API, e.g. https://app.example.com/scim/v2 (a trailing slash is fine). */
    url: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
    /** A static bearer token, or else `oauth` (client credentials): exactly one of the two. */
    token: z.string().min(1).optional(),
    oauth: OAuthClientCredentialsSchema.optional(),
    timeoutMs: z.number().int().positive().default(30_000),
    /**
     * groups: entitlements are app-side Groups matched by displayName; roles: values of the User's `roles` attribute;
     * none: the app holds accounts only (discovery found neither).
     */
    entitlementMode: z.enum(ENTITLEMENT_MODES).default('groups'),
    /** What the app said about itself at `app add` or the last reconcile (connectors/scim-capabilities.ts). */
    capabilities: ScimCapabilitiesSchema.optional(),
  })
  .refine((c) => (c.token === undefined) !== (c.oauth === undefined), {
    message: 'give either a bearer token or OAuth client credentials, not both and not neither',
  });
/** The input shape: timeoutMs and entitlementMode may be left out. */
export type ScimAppConfig = z.input<typeof ScimAppConfigSchema>;

/** A concurrent writer changed the account between our read and our PUT; each round re-reads it. */
const MAX_REPLACE_ROUNDS = 3;

const isRejected = (err: unknown, status: number): boolean =>
  err instanceof DownstreamRejectedError && err.status === status;

export function createScimConnector(config: ScimAppConfig, deps: { fetch?: typeof fetch } = {}): Connector {
  const settings = ScimAppConfigSchema.parse(config);
  const tokens = settings.oauth
    ? createClientCredentials(settings.oauth, settings.timeoutMs, deps.fetch)
    : staticToken(settings.token!);
  const send = createScimSend({ url: settings.url, tokens, timeoutMs: settings.timeoutMs }, deps.fetch);
  const userPath = (id: string) => `/Users/${encodeURIComponent(id)}`;

  async function readUser(id: string, options: ReadOptions = {}): Promise<FetchedUser | undefined> {
    try {
      return toFetchedUser(
        'GET /Users/{id}',
        await send({ method: 'GET', path: userPath(id), signal: options.signal }),
      );
    } catch (err) {
      if (isRejected(err, 404)) return undefined;
      throw err;
    }
  }

  const search = searchModeOf(settings.capabilities);
  const adapted = { send, readUser, search, writes: writeModeOf(settings.capabilities) };
  const entitlements: EntitlementStrategy =
    settings.entitlementMode === 'groups'
      ? createGroupEntitlements(adapted)
      : settings.entitlementMode === 'roles'
        ? createRoleEntitlements(adapted)
        : noEntitlements(settings.url);

  async function searchUsers(attribute: SearchableAttribute, value: string, options: ReadOptions): Promise<ScimUser[]> {
    const keep =
      attribute === 'userName'
        ? named('userName', value)
        : (user: unknown) => (user as { externalId?: unknown } | null)?.externalId === value;
    try {
      const found = await searchAll(send, '/Users', { attribute, value, keep }, {}, { ...options, mode: search });
      return found.map((user) => parseResource(ScimUserSchema, 'GET /Users', user));
    } catch (err) {
      // 400 on externalId: the app cannot filter on it; userName, next in the match order, still identifies the account.
      if (attribute === 'externalId' && isRejected(err, 400)) return [];
      throw err;
    }
  }

  const toRemote = (user: ScimUser): RemoteAccount => ({
    id: user.id,
    userName: user.userName,
    ...(user.externalId ? { externalId: user.externalId } : {}),
    active: user.active ?? true, // `active` is optional in RFC 7643; an app without the notion keeps accounts usable
  });

  /**
   * PUT, not PATCH: RFC 7644 makes PATCH optional (ServiceProviderConfig.patch) and apps disagree on its edge cases (removing an
   * absent attribute, value paths), while every app implements PUT. The body is merged over a fresh read, so attributes we do not
   * manage survive, and If-Match (when the app has ETags) stops that merge from overwriting a concurrent change.
   */
  async function replaceUser(
    fetched: FetchedUser,
    change: (user: ScimUser) => Record<string, unknown>,
    options: CallOptions,
  ): Promise<RemoteAccount | undefined> {
    let current: FetchedUser | undefined = fetched;
    for (let round = 1; current; round++) {
      const { user, version } = current;
      const body = change(user);
      if (sameJson(body, withoutReadOnly(user))) return toRemote(user); // already right: no write, so retries cost nothing
      try {
        const key = `${options.idempotencyKey}/replace-user/${bodyHash(body)}`;
        const response = await send({
          method: 'PUT',
          path: userPath(user.id),
          body,
          idempotencyKey: key,
          ifMatch: version,
          signal: options.signal,
        });
        const updated =
          response.body === undefined ? await readUser(user.id, options) : toFetchedUser('PUT /Users/{id}', response);
        return updated && toRemote(updated.user);
      } catch (err) {
        if (isRejected(err, 404)) return undefined;
        if (!(err instanceof DownstreamUnavailableError && err.status === 412) || round >= MAX_REPLACE_ROUNDS)
          throw err;
        current = await readUser(user.id, options);
      }
    }
    return undefined;
  }

  return {
    async getAccount(remoteId, options) {
      const found = await readUser(remoteId, options);
      return found && toRemote(found.user);
    },

    async searchAccounts(attribute, value, options = {}) {
      return (await searchUsers(attribute, value, options)).map(toRemote);
    },

    async createAccount(spec, options) {
      const key = `${options.idempotencyKey}/create-user`;
      const response = await send({
        method: 'POST',
        path: '/Users',
        body: createBody(spec),
        idempotencyKey: key,
        signal: options.signal,
      });
      if (response.body !== undefined) return toRemote(toFetchedUser('POST /Users', response).user);
      // A 201 without a body: the account should now be findable. If it is not (yet), the outcome is unclear: retry.
      const [created, ...others] = await searchUsers('userName', spec.userName, options);
      if (created && others.length === 0) return toRemote(created);
      throw new DownstreamUnavailableError(`POST /Users answered without a body and "${spec.userName}" is not found`);
    },

    async updateAccount(remoteId, spec, options) {
      const found = await readUser(remoteId, options);
      const updated = found && (await replaceUser(found, (user) => replaceBody(user, spec), options));
      if (!updated) throw new DownstreamRejectedError(`PUT /Users/${remoteId}: the app has no such account`, 404);
      return updated;
    },

    async disableAccount(remoteId, options) {
      const found = await readUser(remoteId, options);
      // Only `active` changes: a leaver's other attributes are left as the app has them.
      return found && replaceUser(found, (user) => ({ ...withoutReadOnly(user), active: false }), options);
    },

    async deleteAccount(remoteId, options) {
      try {
        const key = `${options.idempotencyKey}/delete-user`;
        await send({ method: 'DELETE', path: userPath(remoteId), idempotencyKey: key, signal: options.signal });
      } catch (err) {
        if (!isRejected(err, 404)) throw err; // already gone counts as deleted
      }
    },

    grantEntitlement: (remoteId, entitlement, options) => entitlements.grant(remoteId, entitlement, options),
    revokeEntitlement: (remoteId, entitlement, options) => entitlements.revoke(remoteId, entitlement, options),
    heldEntitlements: (remoteId, among, options) => entitlements.held(remoteId, among, options),

    async listAccounts(startIndex, count, options = {}) {
      const query = new URLSearchParams({ startIndex: String(startIndex), count: String(count) });
      const response = await send({ method: 'GET', path: `/Users?${query.toString()}`, signal: options.signal });
      const list = parseResource(ListResponseSchema, 'GET /Users', response.body);
      return {
        accounts: (list.Resources ?? []).map((resource) => {
          const user = parseResource(ScimUserSchema, 'GET /Users', resource);
          const held = entitlements.fromUser(user);
          return { ...toRemote(user), attributes: user, ...(held ? { entitlements: held } : {}) };
        }),
        totalResults: list.totalResults ?? null,
      };
    },

    entitlementHolders: (among, options) => entitlements.holders(among, options),

    discover: (options = {}) => discoverWith(send, options),
  };
}
