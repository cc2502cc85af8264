// testkit/limited-scim-app-store.ts: the limited app's in-memory Users and Groups, with the checks it makes on writes.
import { randomUUID } from 'node:crypto';
import type { Json } from './limited-scim-app-http';
import { GROUP_URN, ScimHttpError, USER_URN, isObject, notFound } from './limited-scim-app-http';

export interface ScimMeta {
  resourceType: 'User' | 'Group';
  created: string;
  lastModified: string;
  location: string;
}

export interface ScimUser {
  schemas: string[];
  id: string;
  userName: string;
  active: boolean;
  meta: ScimMeta;
  [attribute: string]: unknown;
}

export interface ScimMember {
  value: string;
  display?: string;
}

export interface ScimGroup {
  schemas: string[];
  id: string;
  displayName: string;
  members: ScimMember[];
  meta: ScimMeta;
  [attribute: string]: unknown;
}

// Server-assigned (RFC 7643 §3.1) or readOnly: whatever a client sends for them is dropped, not stored.
const USER_READ_ONLY = ['id', 'meta', 'groups'];
const GROUP_READ_ONLY = ['id', 'meta'];

const invalid = (detail: string) => new ScimHttpError(400, 'invalidValue', detail);

export class LimitedStore {
  private readonly users = new Map<string, ScimUser>();
  /** Lower-cased userName → id: uniqueness and lookups stay O(1) with 100,000 accounts (the reconcile bench). */
  private readonly idByName = new Map<string, string>();
  private readonly groups = new Map<string, ScimGroup>();
  /** listUsers' array, kept until the next write: paging 100,000 accounts must not copy them once per page. */
  private userList: ScimUser[] | null = null;

  constructor(private readonly baseUrl: string) {}

  /** Live objects in creation order: callers copy or serialise them, never hand them out. */
  listUsers(): readonly ScimUser[] {
    this.userList ??= [...this.users.values()];
    return this.userList;
  }

  getUser(id: string): ScimUser | undefined {
    return this.users.get(id);
  }

  findUserByName(userName: string): ScimUser | undefined {
    const id = this.idByName.get(userName.toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  private setUser(user: ScimUser, before?: ScimUser): void {
    if (before) this.idByName.delete(before.userName.toLowerCase());
    this.users.set(user.id, user);
    this.idByName.set(user.userName.toLowerCase(), user.id);
    this.userList = null;
  }

  createUser(body: Json, id: string = randomUUID()): ScimUser {
    if (this.users.has(id)) throw new ScimHttpError(409, 'uniqueness', `id ${id} is taken`);
    const attributes = userAttributes(body);
    this.assertUserNameFree(attributes.userName as string);
    const user = this.resource('User', id, attributes, undefined) as ScimUser;
    this.setUser(user);
    return user;
  }

  /** PUT semantics: the body replaces every attribute; only id and meta.created survive. */
  replaceUser(id: string, body: Json): ScimUser {
    const current = this.users.get(id);
    if (!current) throw notFound(`User ${id}`);
    const attributes = userAttributes(body);
    this.assertUserNameFree(attributes.userName as string, id);
    const user = this.resource('User', id, attributes, current.meta.created) as ScimUser;
    this.setUser(user, current);
    return user;
  }

  /** A change made in the app's own UI: top-level attributes merged, `undefined` removes one. */
  editUser(id: string, partial: Json): ScimUser {
    const current = this.users.get(id);
    if (!current) throw notFound(`User ${id}`);
    const merged: Json = { ...current };
    for (const [key, value] of Object.entries(partial)) {
      if (value === undefined) delete merged[key];
      else merged[key] = value;
    }
    return this.replaceUser(id, merged);
  }

  deleteUser(id: string): boolean {
    const current = this.users.get(id);
    if (!current) return false;
    this.users.delete(id);
    this.idByName.delete(current.userName.toLowerCase());
    this.userList = null;
    for (const group of this.groups.values()) {
      const kept = group.members.filter((member) => member.value !== id);
      if (kept.length < group.members.length) this.setMembers(group.id, kept);
    }
    return true;
  }

  listGroups(): ScimGroup[] {
    return [...this.groups.values()];
  }

  getGroup(id: string): ScimGroup | undefined {
    return this.groups.get(id);
  }

  createGroup(body: Json): ScimGroup {
    const attributes = this.groupAttributes(body);
    const name = attributes.displayName as string;
    if (this.listGroups().some((group) => group.displayName === name))
      throw new ScimHttpError(409, 'uniqueness', `displayName "${name}" is taken`);
    const group = this.resource('Group', randomUUID(), attributes, undefined) as ScimGroup;
    this.groups.set(group.id, group);
    return group;
  }

  deleteGroup(id: string): boolean {
    return this.groups.delete(id);
  }

  /** Members must be this app's users: a dangling member is refused with 400 invalidValue. */
  setMembers(id: string, members: ScimMember[]): ScimGroup {
    const current = this.groups.get(id);
    if (!current) throw notFound(`Group ${id}`);
    const { meta, ...rest } = current;
    const group: ScimGroup = { ...rest, members: this.checkMembers(members), meta: { ...meta, lastModified: now() } };
    this.groups.set(id, group);
    return group;
  }

  clear(): void {
    this.users.clear();
    this.idByName.clear();
    this.userList = null;
    this.groups.clear();
  }

  private assertUserNameFree(userName: string, exceptId?: string): void {
    const holder = this.findUserByName(userName);
    if (holder && holder.id !== exceptId) throw new ScimHttpError(409, 'uniqueness', `userName "${userName}" is taken`);
  }

  private groupAttributes(body: Json): Json {
    const attributes = withSchema(without(body, GROUP_READ_ONLY), GROUP_URN);
    if (typeof attributes.displayName !== 'string' || attributes.displayName === '')
      throw invalid('displayName is required');
    if (attributes.members !== undefined && !Array.isArray(attributes.members))
      throw invalid('members must be an array');
    return { ...attributes, members: this.checkMembers((attributes.members ?? []) as unknown[]) };
  }

  private checkMembers(members: unknown[]): ScimMember[] {
    const checked = new Map<string, ScimMember>();
    for (const member of members) {
      if (!isObject(member) || typeof member.value !== 'string') throw invalid('each member needs a string value');
      if (!this.users.has(member.value)) throw invalid(`member ${member.value} is not a user of this app`);
      const display = typeof member.display === 'string' ? { display: member.display } : {};
      if (!checked.has(member.value)) checked.set(member.value, { value: member.value, ...display });
    }
    return [...checked.values()];
  }

  private resource(type: 'User' | 'Group', id: string, attributes: Json, created: string | undefined): Json {
    const { schemas, ...rest } = attributes;
    const lastModified = now();
    const location = `${this.baseUrl}/${type}s/${id}`;
    return {
      schemas,
      id,
      ...rest,
      meta: { resourceType: type, created: created ?? lastModified, lastModified, location },
    };
  }
}

function userAttributes(body: Json): Json {
  const attributes = withSchema(without(body, USER_READ_ONLY), USER_URN);
  if (typeof attributes.userName !== 'string' || attributes.userName.trim() === '')
    throw invalid('userName is required');
  if (attributes.active !== undefined && typeof attributes.active !== 'boolean')
    throw invalid('active must be a boolean');
  return { ...attributes, active: attributes.active ?? true };
}

function withSchema(attributes: Json, urn: string): Json {
  const { schemas } = attributes;
  if (!Array.isArray(schemas) || !schemas.every((schema) => typeof schema === 'string') || !schemas.includes(urn))
    throw invalid(`schemas must list ${urn}`);
  return attributes;
}

function without(body: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !keys.includes(key)));
}

const now = (): string => new Date().toISOString();
