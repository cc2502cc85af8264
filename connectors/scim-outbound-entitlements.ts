// connectors/scim-outbound-entitlements.ts: entitlements as app-side SCIM Groups (membership PATCH) or as the User's roles.
import type { CallOptions, ReadOptions } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import type { Adaptation } from './scim-capabilities';
import type { ScimSend } from './scim-outbound-http';
import type { FetchedUser, ScimGroup, ScimUser, SearchMode } from './scim-outbound-resources';
import { ScimGroupSchema, named, parseResource, sameName, searchAll } from './scim-outbound-resources';
import { bodyHash, withoutReadOnly } from './scim-outbound-user-body';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export interface EntitlementStrategy {
  /** Which of `among` the account holds (a read-back; [] for an account the app no longer has). */
  held(userId: string, among: string[], options?: ReadOptions): Promise<string[]>;
  grant(userId: string, entitlement: string, options: CallOptions): Promise<void>;
  revoke(userId: string, entitlement: string, options: CallOptions): Promise<void>;
  /** Remote id → which of `entitlements` it holds; null when a User carries its own (`fromUser`). */
  holders(entitlements: string[], options?: ReadOptions): Promise<Map<string, string[]> | null>;
  /** The entitlements a scanned User carries itself (roles), or undefined (groups: see holders). */
  fromUser(user: ScimUser): string[] | undefined;
}

const rejectedWith = (err: unknown, ...statuses: number[]): boolean =>
  err instanceof DownstreamRejectedError && err.status !== undefined && statuses.includes(err.status);

type ReadUser = (id: string, options?: ReadOptions) => Promise<FetchedUser | undefined>;

/** How the connector reaches the app, adapted to what it said it can do (connectors/scim-capabilities.ts). */
export interface AdaptedSend {
  send: ScimSend;
  readUser: ReadUser;
  search: SearchMode;
  writes: Adaptation['writes'];
}

/** A concurrent writer changed the resource between our read and our PUT; each round re-reads it. */
const MAX_PUT_ROUNDS = 3;

/**
 * Read, change, PUT back (If-Match when the app gives a version), for apps without PATCH. `change` returns undefined
 * when the resource is already right: no write.
 */
async function putChanged(
  send: ScimSend,
  path: string,
  change: (resource: Record<string, unknown>) => Record<string, unknown> | undefined,
  idempotencyKey: string,
): Promise<void> {
  for (let round = 1; ; round++) {
    let current;
    try {
      current = await send({ method: 'GET', path });
    } catch (err) {
      if (rejectedWith(err, 404)) return; // gone: nothing is held there any more
      throw err;
    }
    const resource = (current.body ?? {}) as Record<string, unknown>;
    const body = change(resource);
    if (!body) return;
    const meta = resource.meta as { version?: unknown } | undefined;
    const version = current.headers.get('etag') ?? (typeof meta?.version === 'string' ? meta.version : undefined);
    try {
      await send({
        method: 'PUT',
        path,
        body,
        idempotencyKey: `${idempotencyKey}/put/${bodyHash(body)}`,
        ...(version ? { ifMatch: version } : {}),
      });
      return;
    } catch (err) {
      const conflict = err instanceof DownstreamUnavailableError && err.status === 412;
      if (!conflict || round >= MAX_PUT_ROUNDS) throw err;
    }
  }
}

/** A grant to an account the app no longer has must fail: some apps (scim2-server among them) accept dangling members. */
async function requireUser(readUser: ReadUser, userId: string): Promise<FetchedUser> {
  const fetched = await readUser(userId);
  if (!fetched) throw new DownstreamRejectedError(`GET /Users/${userId}: the app has no such account`, 404);
  return fetched;
}

export function createGroupEntitlements({ send, readUser, search: mode, writes }: AdaptedSend): EntitlementStrategy {
  // Asking for displayName only keeps large groups' member lists off the wire; apps that ignore `attributes` still work.
  const search = async (
    query: Parameters<typeof searchAll>[2],
    options?: ReadOptions,
    how: SearchMode = mode,
  ): Promise<ScimGroup[]> =>
    (await searchAll(send, '/Groups', query, { attributes: 'displayName' }, { ...options, mode: how })).map((group) =>
      parseResource(ScimGroupSchema, 'GET /Groups', group),
    );

  /** The exact displayName wins; otherwise the app may have changed its case (a case-insensitive match), never guess among several. */
  const findGroups = async (name: string, options?: ReadOptions): Promise<ScimGroup[]> => {
    const matches = await search({ attribute: 'displayName', value: name, keep: named('displayName', name) }, options);
    // Apps that allow duplicate names (scim2-server does) may hold several exact matches: always pick the same one.
    const exact = matches.filter((group) => group.displayName === name).sort((a, b) => (a.id < b.id ? -1 : 1));
    return exact.length > 0 ? exact.slice(0, 1) : matches;
  };

  const findOneGroup = async (name: string): Promise<ScimGroup | undefined> => {
    const groups = await findGroups(name);
    if (groups.length > 1) throw new DownstreamRejectedError(`several app groups are named like "${name}"; rename one`);
    return groups[0];
  };

  /** One group read with its members: works on every app, costs a member list (used where filters fail). */
  const isMember = async (groupId: string, userId: string, options?: ReadOptions): Promise<boolean> => {
    try {
      const response = await send({ method: 'GET', path: `/Groups/${encodeURIComponent(groupId)}`, ...options });
      const group = parseResource(ScimGroupSchema, 'GET /Groups/{id}', response.body);
      return (group.members ?? []).some((member) => member.value === userId);
    } catch (err) {
      if (rejectedWith(err, 404)) return false; // the group went away, and the membership with it
      throw err;
    }
  };

  /**
   * `members.value eq` is the cheap question, but many apps only filter Groups by displayName (RFC 7644 makes filters
   * optional per attribute): once an app refuses it, the named groups are read one by one for the rest of this
   * connector's life.
   */
  let membersFilter: 'unknown' | 'supported' | 'unsupported' = mode === 'scan' ? 'unsupported' : 'unknown';
  const heldViaGroups = async (userId: string, among: string[], options?: ReadOptions): Promise<string[]> => {
    if (membersFilter !== 'unsupported') {
      try {
        const keep = (group: unknown) => {
          const members = (group as { members?: unknown } | null)?.members;
          return !Array.isArray(members) || members.some((m) => (m as { value?: unknown } | null)?.value === userId);
        };
        const groups = await search({ attribute: 'members.value', value: userId, keep }, options, 'filter');
        membersFilter = 'supported';
        const names = groups.flatMap((group) => (group.displayName ? [group.displayName] : []));
        return among.filter((e) => names.some((name) => sameName(name, e)));
      } catch (err) {
        if (!rejectedWith(err, 400, 403, 501)) throw err;
        membersFilter = 'unsupported';
      }
    }
    const held: string[] = [];
    for (const name of among)
      for (const group of await findGroups(name, options))
        if (await isMember(group.id, userId, options)) {
          held.push(name);
          break;
        }
    return held;
  };

  const createGroup = async (name: string, options: CallOptions): Promise<ScimGroup> => {
    try {
      const body = { schemas: [GROUP_SCHEMA], displayName: name };
      const key = `${options.idempotencyKey}/create-group`;
      const response = await send({ method: 'POST', path: '/Groups', body, idempotencyKey: key });
      return parseResource(ScimGroupSchema, 'POST /Groups', response.body);
    } catch (err) {
      const raced = rejectedWith(err, 409) ? await findOneGroup(name) : undefined; // created meanwhile (another grant)
      if (raced) return raced;
      throw err;
    }
  };

  return {
    async held(userId, among, options) {
      if (among.length === 0) return [];
      const fetched = await readUser(userId, options);
      if (!fetched) return [];
      const direct = (fetched.user.groups ?? []).filter((group) => group.type !== 'indirect');
      // The User's `groups` is optional in RFC 7643 (scim2-server never fills it): only trust it when it names groups.
      if (fetched.user.groups && direct.every((group) => group.display))
        return among.filter((e) => direct.some((group) => sameName(group.display!, e)));
      return heldViaGroups(userId, among, options);
    },

    /** Each named group read once with its members: one search and one read per managed entitlement. */
    async holders(names, options) {
      const holders = new Map<string, string[]>();
      for (const name of names)
        for (const group of await findGroups(name, options)) {
          const response = await send({ method: 'GET', path: `/Groups/${encodeURIComponent(group.id)}`, ...options });
          const full = parseResource(ScimGroupSchema, 'GET /Groups/{id}', response.body);
          for (const member of full.members ?? [])
            if (member.value) holders.set(member.value, [...(holders.get(member.value) ?? []), name]);
        }
      return holders;
    },

    fromUser: () => undefined,

    async grant(userId, entitlement, options) {
      await requireUser(readUser, userId);
      const group = (await findOneGroup(entitlement)) ?? (await createGroup(entitlement, options));
      if (writes === 'put') {
        const key = `${options.idempotencyKey}/add-member`;
        return putChanged(send, groupPath(group.id), (current) => withMembers(current, userId, 'add'), key);
      }
      const body = { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }] };
      const key = `${options.idempotencyKey}/add-member`;
      try {
        await send({ method: 'PATCH', path: `/Groups/${encodeURIComponent(group.id)}`, body, idempotencyKey: key });
      } catch (err) {
        // RFC 7644 §3.5.2.1 makes re-adding a member a no-op, but some apps answer 400/409: fine if the member is there.
        if (!rejectedWith(err, 400, 409) || !(await isMember(group.id, userId))) throw err;
      }
    },

    async revoke(userId, entitlement, options) {
      for (const group of await findGroups(entitlement)) {
        if (writes === 'put') {
          const key = `${options.idempotencyKey}/remove-member`;
          await putChanged(send, groupPath(group.id), (current) => withMembers(current, userId, 'remove'), key);
          continue;
        }
        const path = `members[value eq ${JSON.stringify(userId)}]`;
        const body = { schemas: [PATCH_OP], Operations: [{ op: 'remove', path }] };
        const key = `${options.idempotencyKey}/remove-member`;
        try {
          await send({ method: 'PATCH', path: `/Groups/${encodeURIComponent(group.id)}`, body, idempotencyKey: key });
        } catch (err) {
          if (rejectedWith(err, 404)) continue; // the group went away, and the membership with it
          // Some apps answer 400 noTarget when the member is already gone (RFC 7644 §3.5.2.2 leaves room for it).
          if (!rejectedWith(err, 400, 409) || (await isMember(group.id, userId))) throw err;
        }
      }
    },
  };
}

/** `roles` mode reads the User first, so that idempotence does not depend on how the app treats a duplicate or missing value. */
export function createRoleEntitlements({ send, readUser, writes }: AdaptedSend): EntitlementStrategy {
  const rolesOf = (user: ScimUser): string[] => (user.roles ?? []).flatMap((role) => (role.value ? [role.value] : []));
  const userPath = (userId: string) => `/Users/${encodeURIComponent(userId)}`;
  const patch = (userId: string, operation: object, idempotencyKey: string) =>
    send({
      method: 'PATCH',
      path: userPath(userId),
      body: { schemas: [PATCH_OP], Operations: [operation] },
      idempotencyKey,
    });
  /** Without PATCH: the whole User is PUT back with its roles changed (attributes we do not manage kept as read). */
  const putRoles = (userId: string, role: string, how: 'add' | 'remove', idempotencyKey: string) =>
    putChanged(
      send,
      userPath(userId),
      (user) => {
        const roles = Array.isArray(user.roles) ? (user.roles as { value?: unknown }[]) : [];
        const has = roles.some((r) => r?.value === role);
        if (has === (how === 'add')) return undefined;
        const next = how === 'add' ? [...roles, { value: role }] : roles.filter((r) => r?.value !== role);
        return { ...withoutReadOnly(user), roles: next };
      },
      idempotencyKey,
    );

  return {
    async held(userId, among, options) {
      const fetched = await readUser(userId, options);
      return fetched ? among.filter((e) => rolesOf(fetched.user).includes(e)) : [];
    },

    async grant(userId, entitlement, options) {
      const fetched = await requireUser(readUser, userId);
      if (rolesOf(fetched.user).includes(entitlement)) return;
      if (writes === 'put') return putRoles(userId, entitlement, 'add', `${options.idempotencyKey}/add-role`);
      await patch(
        userId,
        { op: 'add', path: 'roles', value: [{ value: entitlement }] },
        `${options.idempotencyKey}/add-role`,
      );
    },

    async revoke(userId, entitlement, options) {
      const fetched = await readUser(userId);
      if (!fetched || !rolesOf(fetched.user).includes(entitlement)) return; // no account, or no such role: nothing is held
      if (writes === 'put') return putRoles(userId, entitlement, 'remove', `${options.idempotencyKey}/remove-role`);
      const path = `roles[value eq ${JSON.stringify(entitlement)}]`;
      await patch(userId, { op: 'remove', path }, `${options.idempotencyKey}/remove-role`);
    },

    holders: async () => null,
    fromUser: rolesOf,
  };
}

const groupPath = (id: string) => `/Groups/${encodeURIComponent(id)}`;

/** The group's PUT body with `userId` added to or removed from its members; undefined when nothing changes. */
function withMembers(
  group: Record<string, unknown>,
  userId: string,
  how: 'add' | 'remove',
): Record<string, unknown> | undefined {
  const members = (Array.isArray(group.members) ? group.members : []) as { value?: unknown; type?: unknown }[];
  const has = members.some((m) => m?.value === userId);
  if (has === (how === 'add')) return undefined;
  const kept = members.filter((m) => m?.value !== userId);
  const next = how === 'add' ? [...kept, { value: userId }] : kept;
  return {
    ...withoutReadOnly(group),
    schemas: Array.isArray(group.schemas) ? group.schemas : [GROUP_SCHEMA],
    // Only what identifies a member: display and $ref are the app's to fill in (read-only in RFC 7643's Group schema).
    members: next.map((m) => ({ value: m.value, ...(typeof m.type === 'string' ? { type: m.type } : {}) })),
  };
}

/** An app that can hold no entitlements (discovery found neither Groups nor roles): accounts only. */
export function noEntitlements(url: string): EntitlementStrategy {
  return {
    held: async () => [],
    grant: async (_userId, entitlement) => {
      throw new DownstreamRejectedError(
        `cannot grant "${entitlement}": the app at ${url} has neither Groups nor a roles attribute (entitlements none); change the policy or the app`,
      );
    },
    revoke: async () => undefined, // nothing can be held
    holders: async () => new Map(),
    fromUser: () => undefined,
  };
}
