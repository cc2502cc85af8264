// api/resource-service.ts: SCIM writes on users and groups: normalise, apply, record (group commit), then poke.
import { ScimError } from '../domain/scim/errors';
import type { JsonObject } from '../domain/scim/json';
import { normalizeGroupBody, normalizeResource } from '../domain/scim/normalize';
import { applyPatch } from '../domain/scim/patch/apply';
import type { MemberDelta } from '../domain/scim/patch/apply';
import { matchesFilter } from '../domain/scim/filter/evaluate';
import { assertValueSizes } from '../domain/scim/value-limits';
import type { Stores } from '../store';
import type { EventRow, NewEvent } from '../store/event-log';
import type { DocWithText, ResourceType, StoredResource } from '../store/resources';
import { withText } from '../store/resources';
import { UniqueViolationError } from '../store/errors';
import type { DirectoryContext } from './directory-context';
import { checkIfMatch } from './preconditions';

export interface Poke {
  (events: EventRow[]): void;
}

export interface WriteOutcome {
  resource: StoredResource;
  events: EventRow[];
}

type MemberRef = { value: string; display?: string };

export class ResourceService {
  constructor(
    private readonly stores: Stores,
    private readonly poke: Poke,
  ) {}

  get(dctx: DirectoryContext, type: ResourceType, id: string): StoredResource {
    const found = this.stores.resources.get(dctx.directory.id, type, id);
    if (!found) throw new ScimError(404, undefined, `${type} ${id} not found`);
    return found;
  }

  create(dctx: DirectoryContext, type: ResourceType, body: unknown): WriteOutcome {
    const ctx = { registry: dctx.registry, resourceType: type, dialect: dctx.dialect };
    if (type === 'User') {
      const doc = withUserDefaults(normalizeResource(body, ctx));
      assertValueSizes(doc, undefined, type);
      // The unique index decides (also between concurrent POSTs); the violation becomes a 409 naming the userName.
      return this.withUniqueUserName(doc, () => this.stores.resources.insert(dctx.directory.id, 'User', doc));
    }
    const { group, members } = normalizeGroupBody(body, ctx);
    assertValueSizes(group, undefined, type);
    this.assertMembersExist(
      dctx,
      members.map((m) => m.value),
    );
    const dir = dctx.directory.id;
    let added: string[] = [];
    const result = this.stores.resources.insert(dir, 'Group', group, (groupId) => {
      added = this.stores.members.add(dir, groupId, members); // members' versions: group_members triggers
      return this.membershipEvents(dctx, groupId, added, []);
    });
    return result;
  }

  replace(dctx: DirectoryContext, type: ResourceType, id: string, body: unknown, ifMatch?: string): WriteOutcome {
    const current = this.get(dctx, type, id);
    checkIfMatch(ifMatch, current);
    const ctx = { registry: dctx.registry, resourceType: type, dialect: dctx.dialect };
    if (type === 'User') {
      const next = withText(withUserDefaults(normalizeResource(body, ctx)));
      assertValueSizes(next.doc, current.doc, type); // values already stored pass: a leaver's PUT is never refused
      return this.withUniqueUserName(next.doc, () =>
        this.stores.resources.replace(current, next, { changed: next.text !== current.docText }),
      );
    }
    const { group, members } = normalizeGroupBody(body, ctx);
    assertValueSizes(group, current.doc, type);
    const next = withText(group);
    const delta = { add: members, remove: [], replaceAll: members };
    return this.writeGroup(dctx, current, next, delta, next.text !== current.docText);
  }

  patch(dctx: DirectoryContext, type: ResourceType, id: string, body: unknown, ifMatch?: string): WriteOutcome {
    const current = this.get(dctx, type, id);
    checkIfMatch(ifMatch, current);
    const ctx = { registry: dctx.registry, resourceType: type, dialect: dctx.dialect };
    const patched = applyPatch(current.doc as JsonObject, body, ctx);
    // PATCH keeps what the operations left: a removed `active` stays removed (the store reads absent as active).
    const result = type === 'User' ? { ...patched, resource: withoutPassword(patched.resource) } : patched;
    assertValueSizes(result.resource, current.doc, type); // values already stored pass: deactivating is never refused
    const next = withText(result.resource);
    const changed = result.changed && next.text !== current.docText;
    if (type === 'User') {
      return this.withUniqueUserName(next.doc, () => this.stores.resources.replace(current, next, { changed }));
    }
    return this.writeGroup(dctx, current, next, result.members ?? { add: [], remove: [] }, changed);
  }

  remove(dctx: DirectoryContext, type: ResourceType, id: string, ifMatch?: string): EventRow[] {
    const current = this.get(dctx, type, id);
    checkIfMatch(ifMatch, current);
    const dir = dctx.directory.id;
    let events: EventRow[];
    if (type === 'User') {
      events = this.stores.resources.remove(current, [], () =>
        this.stores.resources.touch(dir, this.stores.members.removeEverywhere(dir, id)),
      );
    } else {
      const memberIds = this.stores.members.memberIds(dir, id);
      events = this.stores.resources.remove(current, this.membershipEvents(dctx, id, [], memberIds), () => {
        this.stores.members.removeGroup(dir, id);
        // A nested group leaves its parents too, whose `members` change; the former members' `groups` change too
        // (their versions are bumped by the group_members triggers).
        this.stores.resources.touch(dir, this.stores.members.removeEverywhere(dir, id));
      });
    }
    return events;
  }

  private writeGroup(
    dctx: DirectoryContext,
    current: StoredResource,
    next: DocWithText,
    delta: MemberDelta,
    docChanged: boolean,
  ): WriteOutcome {
    const dir = dctx.directory.id;
    const groupId = current.id;
    const toAdd: MemberRef[] = delta.replaceAll ?? delta.add;
    this.assertMembersExist(
      dctx,
      toAdd.map((m) => m.value),
    );
    const changedMembers = { added: [] as string[], removed: [] as string[] };
    // Member deltas are computed and applied inside the write transaction so concurrent PATCHes cannot interleave.
    const result = this.stores.resources.transaction(() => {
      const removeIds = this.removalIds(dctx, groupId, delta, toAdd);
      changedMembers.removed = this.stores.members.remove(dir, groupId, removeIds);
      changedMembers.added = this.stores.members.add(dir, groupId, toAdd); // members' versions: the triggers
      const extraEvents = this.membershipEvents(dctx, groupId, changedMembers.added, changedMembers.removed);
      const memberChange = changedMembers.added.length + changedMembers.removed.length > 0;
      return this.stores.resources.replace(current, next, { changed: docChanged || memberChange, extraEvents });
    });
    return result;
  }

  private removalIds(dctx: DirectoryContext, groupId: string, delta: MemberDelta, toAdd: MemberRef[]): string[] {
    const dir = dctx.directory.id;
    if (delta.replaceAll) {
      const keep = new Set(toAdd.map((m) => m.value));
      return this.stores.members.memberIds(dir, groupId).filter((id) => !keep.has(id));
    }
    if (delta.removeAll) return this.stores.members.memberIds(dir, groupId);
    const ids = new Set(delta.remove);
    if (delta.removeWhere && delta.removeWhere.length > 0) {
      const ctx = { registry: dctx.registry, resourceType: 'Group' as const };
      for (const member of this.stores.members.list(dir, groupId)) {
        const doc = { members: [member] } as unknown as JsonObject;
        if (
          delta.removeWhere.some((f) =>
            matchesFilter(doc, { kind: 'valuePath', path: { attr: 'members' }, filter: f }, ctx),
          )
        )
          ids.add(member.value);
      }
    }
    return [...ids];
  }

  private membershipEvents(dctx: DirectoryContext, groupId: string, added: string[], removed: string[]): NewEvent[] {
    const dir = dctx.directory.id;
    const isUser = (id: string) => this.stores.resources.get(dir, 'User', id) !== undefined;
    return [...added.map((id) => ({ id, change: 'added' })), ...removed.map((id) => ({ id, change: 'removed' }))]
      .filter(({ id }) => isUser(id))
      .map(({ id, change }) => ({
        identityId: id,
        resourceType: 'User',
        kind: 'membership',
        detail: { groupId, change },
      }));
  }

  private withUniqueUserName(doc: Record<string, unknown>, write: () => WriteOutcome): WriteOutcome {
    try {
      return write();
    } catch (err) {
      if (!(err instanceof UniqueViolationError)) throw err;
      const userName = typeof doc.userName === 'string' ? doc.userName : '';
      throw new ScimError(409, 'uniqueness', `userName '${userName}' is already taken in this directory`);
    }
  }

  private assertMembersExist(dctx: DirectoryContext, ids: string[]): void {
    const dir = dctx.directory.id;
    const unknown = ids.filter(
      (id) => !this.stores.resources.get(dir, 'User', id) && !this.stores.resources.get(dir, 'Group', id),
    );
    if (unknown.length > 0)
      throw new ScimError(
        400,
        'invalidValue',
        `members reference unknown resources: ${unknown.slice(0, 10).join(', ')}`,
      );
  }

  /**
   * Records writes: runs them in the current group transaction, waits for its commit (nothing is acknowledged
   * before it is durable), then pokes the identities whose events committed. Callers run one or many writes in `fn`.
   */
  async record<T>(fn: () => T, eventsOf: (result: T) => EventRow[]): Promise<T> {
    const result = await this.stores.batch.run(fn);
    this.poke(eventsOf(result));
    return result;
  }
}

/**
 * scimflow never provisions passwords downstream (apps use SSO), so a password an IdP sends is accepted and discarded:
 * it is never stored and never returned.
 */
function withoutPassword<T extends JsonObject>(doc: T): T {
  const { password: _password, ...rest } = doc;
  return rest as T;
}

function withUserDefaults<T extends JsonObject>(doc: T): T {
  const rest = withoutPassword(doc);
  // A user created or replaced without `active` is active (RFC 7643 §4.1.1 leaves the default to the server); say so in
  // the document too, so that `filter=active eq true` and the lifecycle agree. (A PATCH that removes it leaves it out:
  // the store reads absent as active.)
  return 'active' in rest ? rest : { ...rest, active: true };
}
