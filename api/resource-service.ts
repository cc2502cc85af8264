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

  async get(dctx: DirectoryContext, type: ResourceType, id: string): Promise<StoredResource> {
    const found = await this.stores.resources.get(dctx.directory.id, type, id);
    if (!found) throw new ScimError(404, undefined, `${type} ${id} not found`);
    return found;
  }

  async create(dctx: DirectoryContext, type: ResourceType, body: unknown): Promise<WriteOutcome> {
    const ctx = { registry: dctx.registry, resourceType: type, dialect: dctx.dialect };
    if (type === 'User') {
      const doc = withUserDefaults(normalizeResource(body, ctx));
      assertValueSizes(doc, undefined, type);
      // The unique index decides (also between concurrent POSTs); the violation becomes a 409 naming the userName.
      return this.withUniqueUserName(doc, () => this.stores.resources.insert(dctx.directory.id, 'User', doc));
    }
    const { group, members } = normalizeGroupBody(body, ctx);
    assertValueSizes(group, undefined, type);
    await this.assertMembersExist(
      dctx,
      members.map((m) => m.value),
    );
    const dir = dctx.directory.id;
    return this.stores.joinTransaction(async () => {
      const created = await this.stores.resources.insert(dir, 'Group', group);
      const groupId = created.resource.id;
      const added = await this.stores.members.add(dir, groupId, members); // members' versions: group_members triggers
      const joined = await this.membershipEvents(dctx, groupId, added, []);
      const more = joined.length > 0 ? await this.stores.events.append(dir, joined, created.resource.createdAt) : [];
      return { resource: created.resource, events: [...created.events, ...more] };
    });
  }

  async replace(
    dctx: DirectoryContext,
    type: ResourceType,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<WriteOutcome> {
    const current = await this.get(dctx, type, id);
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

  async patch(
    dctx: DirectoryContext,
    type: ResourceType,
    id: string,
    body: unknown,
    ifMatch?: string,
  ): Promise<WriteOutcome> {
    const current = await this.get(dctx, type, id);
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

  async remove(dctx: DirectoryContext, type: ResourceType, id: string, ifMatch?: string): Promise<EventRow[]> {
    const current = await this.get(dctx, type, id);
    checkIfMatch(ifMatch, current);
    const dir = dctx.directory.id;
    return this.stores.joinTransaction(async () => {
      let extraEvents: NewEvent[] = [];
      if (type === 'Group') {
        extraEvents = await this.membershipEvents(dctx, id, [], await this.stores.members.memberIds(dir, id));
        await this.stores.members.removeGroup(dir, id);
      }
      // The resource leaves every group it was in, whose `members` change (a user's or a nested group's); a group's
      // former members' `groups` change too (their versions are bumped by the group_members triggers).
      await this.stores.resources.touch(dir, await this.stores.members.removeEverywhere(dir, id));
      return this.stores.resources.remove(current, extraEvents);
    });
  }

  private async writeGroup(
    dctx: DirectoryContext,
    current: StoredResource,
    next: DocWithText,
    delta: MemberDelta,
    docChanged: boolean,
  ): Promise<WriteOutcome> {
    const dir = dctx.directory.id;
    const groupId = current.id;
    const toAdd: MemberRef[] = delta.replaceAll ?? delta.add;
    await this.assertMembersExist(
      dctx,
      toAdd.map((m) => m.value),
    );
    // Member deltas are computed and applied inside the write transaction so concurrent PATCHes cannot interleave.
    return this.stores.joinTransaction(async () => {
      const removeIds = await this.removalIds(dctx, groupId, delta, toAdd);
      const removed = await this.stores.members.remove(dir, groupId, removeIds);
      const added = await this.stores.members.add(dir, groupId, toAdd); // members' versions: the triggers
      const extraEvents = await this.membershipEvents(dctx, groupId, added, removed);
      const memberChange = added.length + removed.length > 0;
      return this.stores.resources.replace(current, next, { changed: docChanged || memberChange, extraEvents });
    });
  }

  private async removalIds(
    dctx: DirectoryContext,
    groupId: string,
    delta: MemberDelta,
    toAdd: MemberRef[],
  ): Promise<string[]> {
    const dir = dctx.directory.id;
    if (delta.replaceAll) {
      const keep = new Set(toAdd.map((m) => m.value));
      return (await this.stores.members.memberIds(dir, groupId)).filter((id) => !keep.has(id));
    }
    if (delta.removeAll) return this.stores.members.memberIds(dir, groupId);
    const ids = new Set(delta.remove);
    if (delta.removeWhere && delta.removeWhere.length > 0) {
      const ctx = { registry: dctx.registry, resourceType: 'Group' as const };
      for (const member of await this.stores.members.list(dir, groupId)) {
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

  private async membershipEvents(
    dctx: DirectoryContext,
    groupId: string,
    added: string[],
    removed: string[],
  ): Promise<NewEvent[]> {
    const dir = dctx.directory.id;
    const events: NewEvent[] = [];
    for (const [ids, change] of [
      [added, 'added'],
      [removed, 'removed'],
    ] as const)
      for (const id of ids)
        if ((await this.stores.resources.get(dir, 'User', id)) !== undefined)
          events.push({ identityId: id, resourceType: 'User', kind: 'membership', detail: { groupId, change } });
    return events;
  }

  private async withUniqueUserName(
    doc: Record<string, unknown>,
    write: () => Promise<WriteOutcome>,
  ): Promise<WriteOutcome> {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof UniqueViolationError)) throw err;
      const userName = typeof doc.userName === 'string' ? doc.userName : '';
      throw new ScimError(409, 'uniqueness', `userName '${userName}' is already taken in this directory`);
    }
  }

  private async assertMembersExist(dctx: DirectoryContext, ids: string[]): Promise<void> {
    const dir = dctx.directory.id;
    const unknown: string[] = [];
    for (const id of ids)
      if (!(await this.stores.resources.get(dir, 'User', id)) && !(await this.stores.resources.get(dir, 'Group', id)))
        unknown.push(id);
    if (unknown.length > 0)
      throw new ScimError(
        400,
        'invalidValue',
        `members reference unknown resources: ${unknown.slice(0, 10).join(', ')}`,
      );
  }

  /**
   * One of several writes inside one `record` call (a Bulk operation): if it fails, its own changes are undone and the
   * others' kept (a savepoint). The store's writes do not isolate themselves inside a caller's transaction.
   */
  alone<T>(fn: () => Promise<T>): Promise<T> {
    return this.stores.atomically(fn);
  }

  /**
   * Records writes: runs them in the current group transaction, waits for its commit (nothing is acknowledged
   * before it is durable), then pokes the identities whose events committed. Callers run one or many writes in `fn`.
   */
  async record<T>(fn: () => Promise<T>, eventsOf: (result: T) => EventRow[]): Promise<T> {
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
