// domain/scim/patch/members.ts: folds Group `members` operations into one delta for the store to apply.
import { ScimError } from '../errors';
import type { FilterNode } from '../filter/ast';
import { parseMemberRefs } from '../normalize-members';
import type { MemberRef } from '../normalize-members';
import type { PatchOpName } from './request';
import { memberIdsOf } from './value-filter';
import type { ElementMatcher } from './value-filter';

/**
 * A membership change, applied by the store in this order: removeAll, or replaceAll (membership becomes exactly
 * that list); then removeWhere (filters over member rows, paths naming value/display/type); then remove (ids);
 * then add (idempotent: adding a member already present is a no-op). Operations are folded so that this fixed
 * order gives the same result as applying them one by one.
 */
export interface MemberDelta {
  replaceAll?: MemberRef[];
  add: MemberRef[];
  remove: string[];
  removeWhere?: FilterNode[];
  removeAll?: boolean;
}

/** What a members target carries once the path is resolved: an optional filter and its matcher. */
export interface MemberTarget {
  filter?: FilterNode;
  matches?: ElementMatcher;
  sub?: string;
}

export class MemberDeltaBuilder {
  /** true once every existing member is dropped: `pending` is then the whole membership. */
  private cleared = false;
  private readonly pending = new Map<string, MemberRef>();
  private readonly removed = new Set<string>();
  private readonly removeWhere: FilterNode[] = [];

  /**
   * One operation on `members`. Member sub-attributes are immutable (RFC 7643 §4.2), so paths into them
   * (`members[value eq "x"].display`) are refused; a member is changed by removing and adding it.
   */
  apply(op: PatchOpName, value: unknown, target: MemberTarget): void {
    if (target.sub !== undefined) {
      throw new ScimError(400, 'mutability', `member sub-attributes are immutable; remove and add the member instead`);
    }
    if (target.filter) return this.filtered(op, target.filter, target.matches ?? (() => false), value);
    if (op === 'add') return this.add(parseMemberRefs(value));
    if (op === 'replace') return this.replaceAll(parseMemberRefs(value));
    // DIALECTS.md rule 5: Entra's legacy `Remove members` with a value array removes only the listed members
    // (entra-11-group-members-legacy-add-remove.json; JumpCloud too, [R S34]). No value at all removes everyone.
    if (value === undefined || value === null) return this.removeAll();
    for (const ref of parseMemberRefs(value)) this.removeId(ref.value);
  }

  private filtered(op: PatchOpName, filter: FilterNode, matches: ElementMatcher, value: unknown): void {
    if (op === 'add') {
      throw new ScimError(400, 'invalidPath', 'add takes "members" without a filter; list the members in the value');
    }
    // Matching existing members is the store's job, so "no match" cannot be detected here: removing a member who
    // is not in the group succeeds without change (rfc-08-remove-missing-member.json allows it; IdP retries need it).
    const ids = memberIdsOf(filter);
    if (ids) ids.forEach((id) => this.removeId(id));
    else this.removeMatching(filter, matches);
    if (op === 'replace') this.add(parseMemberRefs(value));
  }

  private add(refs: MemberRef[]): void {
    for (const ref of refs) this.pending.set(ref.value, ref);
  }

  private removeId(id: string): void {
    this.pending.delete(id);
    if (!this.cleared) this.removed.add(id);
  }

  private removeMatching(filter: FilterNode, matches: ElementMatcher): void {
    for (const [id, ref] of this.pending) if (matches({ ...ref })) this.pending.delete(id);
    if (!this.cleared) this.removeWhere.push(filter);
  }

  private removeAll(): void {
    this.cleared = true;
    this.pending.clear();
    this.removed.clear();
    this.removeWhere.length = 0;
  }

  private replaceAll(refs: MemberRef[]): void {
    this.removeAll();
    this.add(refs);
  }

  isEmpty(): boolean {
    return !this.cleared && this.pending.size === 0 && this.removed.size === 0 && this.removeWhere.length === 0;
  }

  build(): MemberDelta {
    if (this.cleared) {
      return this.pending.size > 0
        ? { replaceAll: [...this.pending.values()], add: [], remove: [] }
        : { removeAll: true, add: [], remove: [] };
    }
    const delta: MemberDelta = { add: [...this.pending.values()], remove: [...this.removed] };
    if (this.removeWhere.length > 0) delta.removeWhere = [...this.removeWhere];
    return delta;
  }
}
