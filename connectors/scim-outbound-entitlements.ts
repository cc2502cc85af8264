// connectors/scim-outbound-entitlements.ts: entitlements as app-side SCIM Groups (membership PATCH) or as the User's roles.
import type { CallOptions } from './connector';
import { DownstreamRejectedError } from './connector';
import type { ScimSend } from './scim-outbound-http';
import type { FetchedUser, ScimGroup, ScimUser } from './scim-outbound-resources';
import { ScimGroupSchema, eqFilter, parseResource, sameName, searchAll } from './scim-outbound-resources';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

export interface EntitlementStrategy {
  held(user: ScimUser): Promise<string[]>;
  grant(userId: string, entitlement: string, options: CallOptions): Promise<void>;
  revoke(userId: string, entitlement: string, options: CallOptions): Promise<void>;
}

const rejectedWith = (err: unknown, ...statuses: number[]): boolean =>
  err instanceof DownstreamRejectedError && err.status !== undefined && statuses.includes(err.status);

type ReadUser = (id: string) => Promise<FetchedUser | undefined>;

/** A grant to an account the app no longer has must fail: some apps (scim2-server among them) accept dangling members. */
async function requireUser(readUser: ReadUser, userId: string): Promise<FetchedUser> {
  const fetched = await readUser(userId);
  if (!fetched) throw new DownstreamRejectedError(`GET /Users/${userId}: the app has no such account`, 404);
  return fetched;
}

export function createGroupEntitlements(send: ScimSend, readUser: ReadUser): EntitlementStrategy {
  // Asking for displayName only keeps large groups' member lists off the wire; apps that ignore `attributes` still work.
  const search = async (filter: string): Promise<ScimGroup[]> =>
    (await searchAll(send, '/Groups', filter, { attributes: 'displayName' })).map((group) =>
      parseResource(ScimGroupSchema, 'GET /Groups', group),
    );

  const groupsOf = async (userId: string): Promise<ScimGroup[]> =>
    (await search(eqFilter('members.value', userId))).filter(
      (group) => !group.members || group.members.some((member) => member.value === userId),
    );

  /** The exact displayName wins; otherwise the app may have changed its case (a case-insensitive match), never guess among several. */
  const findGroups = async (name: string): Promise<ScimGroup[]> => {
    const matches = (await search(eqFilter('displayName', name))).filter(
      (g) => g.displayName && sameName(g.displayName, name),
    );
    // Apps that allow duplicate names (scim2-server does) may hold several exact matches: always pick the same one.
    const exact = matches.filter((group) => group.displayName === name).sort((a, b) => (a.id < b.id ? -1 : 1));
    return exact.length > 0 ? exact.slice(0, 1) : matches;
  };

  const findOneGroup = async (name: string): Promise<ScimGroup | undefined> => {
    const groups = await findGroups(name);
    if (groups.length > 1) throw new DownstreamRejectedError(`several app groups are named like "${name}"; rename one`);
    return groups[0];
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

  const isMember = async (groupId: string, userId: string): Promise<boolean> =>
    (await groupsOf(userId)).some((group) => group.id === groupId);

  return {
    async held(user) {
      const direct = (user.groups ?? []).filter((group) => group.type !== 'indirect');
      if (user.groups && direct.every((group) => group.display)) return direct.map((group) => group.display!);
      // No usable `groups` on the User (optional in RFC 7643, and scim2-server never fills it): ask the Groups instead.
      return (await groupsOf(user.id)).flatMap((group) => (group.displayName ? [group.displayName] : []));
    },

    async grant(userId, entitlement, options) {
      await requireUser(readUser, userId);
      const group = (await findOneGroup(entitlement)) ?? (await createGroup(entitlement, options));
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
export function createRoleEntitlements(send: ScimSend, readUser: ReadUser): EntitlementStrategy {
  const rolesOf = (user: ScimUser): string[] => (user.roles ?? []).flatMap((role) => (role.value ? [role.value] : []));
  const patch = (userId: string, operation: object, idempotencyKey: string) =>
    send({
      method: 'PATCH',
      path: `/Users/${encodeURIComponent(userId)}`,
      body: { schemas: [PATCH_OP], Operations: [operation] },
      idempotencyKey,
    });

  return {
    async held(user) {
      return rolesOf(user);
    },

    async grant(userId, entitlement, options) {
      const fetched = await requireUser(readUser, userId);
      if (rolesOf(fetched.user).includes(entitlement)) return;
      await patch(
        userId,
        { op: 'add', path: 'roles', value: [{ value: entitlement }] },
        `${options.idempotencyKey}/add-role`,
      );
    },

    async revoke(userId, entitlement, options) {
      const fetched = await readUser(userId);
      if (!fetched || !rolesOf(fetched.user).includes(entitlement)) return; // no account, or no such role: nothing is held
      const path = `roles[value eq ${JSON.stringify(entitlement)}]`;
      await patch(userId, { op: 'remove', path }, `${options.idempotencyKey}/remove-role`);
    },
  };
}
