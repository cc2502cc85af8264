// testkit/limited-scim-app-groups.ts: the optional Groups endpoint: create, read, member PATCH, delete; displayName filter only.
import { filterOf, matchesEq } from './limited-scim-app-filter';
import { applyMemberPatch } from './limited-scim-app-group-patch';
import type { Reply } from './limited-scim-app-http';
import { ScimHttpError, allow, notFound, page } from './limited-scim-app-http';
import type { ScimRequest } from './limited-scim-app-routes';
import type { ScimMember } from './limited-scim-app-store';

export async function routeGroups(request: ScimRequest, id: string | undefined): Promise<Reply> {
  return id === undefined ? groupsCollection(request) : groupResource(request, id);
}

async function groupsCollection(request: ScimRequest): Promise<Reply> {
  const { store, baseUrl } = request.state;
  allow(request, ['GET', 'POST']);
  if (request.method === 'POST') {
    const group = store.createGroup(await request.readBody());
    return { status: 201, body: group, headers: { Location: `${baseUrl}/Groups/${group.id}` }, write: 'group' };
  }
  const parsed = filterOf(request);
  // The common limitation this app exists to reproduce: no `members.value eq` search, so "groups of a user" is unanswerable.
  if (parsed && (parsed.attribute.toLowerCase() !== 'displayname' || typeof parsed.value !== 'string'))
    throw new ScimHttpError(
      400,
      'invalidFilter',
      `Unsupported filter '${request.query.get('filter')}': Groups filter only on displayName eq`,
    );
  const groups = store.listGroups().filter((group) => !parsed || matchesEq(group, parsed));
  return { status: 200, body: page(request.query, groups) };
}

async function groupResource(request: ScimRequest, id: string): Promise<Reply> {
  const { state } = request;
  const { store } = state;
  allow(request, ['GET', 'PATCH', 'DELETE', 'PUT']);
  switch (request.method) {
    case 'PUT': {
      if (state.dialect.groupWrites !== 'put')
        throw new ScimHttpError(501, undefined, 'PUT is not supported for Groups by this app; use PATCH on members');
      const body = await request.readBody();
      const group = store.getGroup(id);
      if (!group) throw notFound(`Group ${id}`);
      const members = Array.isArray(body.members) ? (body.members as ScimMember[]) : [];
      if (state.faults.refuseGroupRemoval && dropsAny(group.members, members))
        throw new ScimHttpError(403, undefined, 'this app does not allow removing group members');
      return { status: 200, body: store.setMembers(id, members), write: 'group' };
    }
    case 'DELETE':
      if (!store.deleteGroup(id)) throw notFound(`Group ${id}`);
      return { status: 204, write: 'group' };
    case 'PATCH': {
      if (state.dialect.groupWrites !== 'patch')
        throw new ScimHttpError(501, undefined, 'PATCH is not supported by this app; PUT the whole group');
      const body = await request.readBody();
      const group = store.getGroup(id);
      if (!group) throw notFound(`Group ${id}`);
      const members = applyMemberPatch(group.members, body);
      // Read after the body: the knob may have changed while it arrived.
      if (state.faults.refuseGroupRemoval && dropsAny(group.members, members))
        throw new ScimHttpError(403, undefined, 'this app does not allow removing group members');
      if (!sameMembers(group.members, members)) store.setMembers(id, members);
      return { status: 204, write: 'group' };
    }
    default: {
      const group = store.getGroup(id);
      if (!group) throw notFound(`Group ${id}`);
      return { status: 200, body: group };
    }
  }
}

const dropsAny = (before: readonly ScimMember[], after: readonly ScimMember[]): boolean =>
  before.some((member) => !after.some((kept) => kept.value === member.value));

const sameMembers = (before: readonly ScimMember[], after: readonly ScimMember[]): boolean =>
  before.length === after.length && !dropsAny(before, after);
