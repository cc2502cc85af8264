// test/helpers/property-driver.ts: plays a property scenario against the real SCIM API: duplicates, bursts, worker restarts.
import type { Stack } from './stack';
import { scim } from './stack';
import type { Delivery, GroupName, Scenario, UserCommand } from './property-model';
import { bursts, GROUPS } from './property-model';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface Slot {
  userName: string;
  id?: string;
  deleted: boolean;
  /** Earlier identities of this userName, deleted before the IdP created it again. */
  retired: string[];
}

export interface PropertyDirectory {
  id: string;
  token: string;
  groups: Record<GroupName, string>;
}

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

const patchOp = (op: string, path: string, value?: unknown) => ({
  schemas: [PATCH],
  Operations: [{ op, path, ...(value === undefined ? {} : { value }) }],
});

export async function createGroups(
  stack: Stack,
  directoryId: string,
  token: string,
): Promise<Record<GroupName, string>> {
  const groups: Partial<Record<GroupName, string>> = {};
  for (const name of GROUPS) {
    const res = await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directoryId}/Groups`, {
      schemas: [GROUP_SCHEMA],
      displayName: name,
    });
    if (res.status !== 201)
      throw new Error(`creating group ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
    groups[name] = (res.body as { id: string }).id;
  }
  return groups as Record<GroupName, string>;
}

/** Sends a scenario; every request's status is checked, and the trace says what was sent (for counterexamples). */
export class ScenarioDriver {
  readonly slots: Slot[];
  readonly trace: string[] = [];
  readonly problems: string[] = [];
  sent = 0;
  restarts = 0;
  recreated = 0;

  constructor(
    private readonly stack: Stack,
    private readonly dir: PropertyDirectory,
    users: number,
  ) {
    this.slots = Array.from({ length: users }, (_, i) => ({
      userName: `user${i}@prop.test`,
      deleted: false,
      retired: [],
    }));
  }

  /** `beforeBurst` lets a run change the world (an app's faults) between bursts; it is called with the burst's index. */
  async play(scenario: Scenario, beforeBurst?: (index: number) => void): Promise<void> {
    for (const [index, burst] of bursts(scenario.deliveries).entries()) {
      beforeBurst?.(index);
      if (burst.restartWorkerBefore) {
        this.trace.push('restart worker');
        this.restarts += 1;
        await this.stack.stopWorker();
        await this.stack.startWorker();
      }
      // Requests are resolved against what the IdP knew when the burst started (ids of created users).
      const reserved = new Set<number>();
      const planned = burst.deliveries.flatMap((d) => {
        const resolved = this.resolve(d.command, reserved);
        return resolved ? [{ d, ...resolved }] : [];
      });
      // A write may lose a race to (another) deletion of its user in the same burst.
      const deletions = (slot: number) =>
        planned.filter((p) => p.slot === slot && p.d.command.kind === 'delete').length;
      await Promise.all(
        planned.map((p) =>
          this.deliver(p.d, p.slot, p.request, deletions(p.slot) > (p.d.command.kind === 'delete' ? 1 : 0)),
        ),
      );
      this.trace.push('---');
      if (burst.pauseAfterMs > 0) await new Promise((r) => setTimeout(r, burst.pauseAfterMs));
    }
  }

  private resolve(command: UserCommand, reserved: Set<number>): { slot: number; request: Request } | undefined {
    const users = `/scim/v2/${this.dir.id}/Users`;
    if (command.kind === 'create') {
      // A new userName first; once every slot exists, the IdP re-creates a deleted user under the same userName (a rehire).
      const free = (want: (s: Slot) => boolean) => this.slots.findIndex((s, i) => want(s) && !reserved.has(i));
      const fresh = free((s) => !s.id);
      const index = fresh >= 0 ? fresh : free((s) => s.deleted);
      if (index < 0) return undefined;
      reserved.add(index);
      const slot = this.slots[index]!;
      const body = {
        schemas: [USER_SCHEMA, ENTERPRISE],
        userName: slot.userName,
        displayName: `User ${index}`,
        name: { givenName: 'Initial', familyName: `Slot${index}` },
        active: command.active,
        [ENTERPRISE]: { department: command.department },
      };
      return { slot: index, request: { method: 'POST', path: users, body } };
    }
    const live = this.slots.flatMap((s, i) => (s.id && !s.deleted ? [i] : []));
    if (live.length === 0) return undefined;
    const index = live[command.target % live.length]!;
    const request = this.userRequest(command, this.slots[index]!.id!, `${users}/${this.slots[index]!.id!}`);
    return { slot: index, request };
  }

  private userRequest(command: Exclude<UserCommand, { kind: 'create' }>, id: string, user: string): Request {
    const group = (name: GroupName) => `/scim/v2/${this.dir.id}/Groups/${this.dir.groups[name]}`;
    switch (command.kind) {
      case 'displayName':
        return { method: 'PATCH', path: user, body: patchOp('replace', 'displayName', command.value) };
      case 'givenName':
        return { method: 'PATCH', path: user, body: patchOp('replace', 'name.givenName', command.value) };
      case 'department':
        return { method: 'PATCH', path: user, body: patchOp('replace', `${ENTERPRISE}:department`, command.value) };
      case 'join':
        return { method: 'PATCH', path: group(command.group), body: patchOp('add', 'members', [{ value: id }]) };
      case 'leave':
        return { method: 'PATCH', path: group(command.group), body: patchOp('remove', `members[value eq "${id}"]`) };
      case 'deactivate':
        return { method: 'PATCH', path: user, body: patchOp('replace', 'active', false) };
      case 'reactivate':
        return { method: 'PATCH', path: user, body: patchOp('replace', 'active', true) };
      case 'delete':
        return { method: 'DELETE', path: user };
    }
  }

  private async deliver(d: Delivery, index: number, request: Request, contested: boolean): Promise<void> {
    const copies = d.duplicate ? 2 : 1;
    const responses = await Promise.all(
      Array.from({ length: copies }, () =>
        scim(this.stack.baseUrl, this.dir.token, request.method, request.path, request.body),
      ),
    );
    this.sent += copies;
    const statuses = responses.map((r) => r.status);
    const c = d.command;
    const what =
      c.kind === 'create'
        ? `${c.department}${c.active ? '' : ' inactive'}`
        : 'value' in c
          ? c.value
          : 'group' in c
            ? c.group
            : '';
    const again = c.kind === 'create' && this.slots[index]!.deleted ? ' again' : '';
    const label = `${c.kind}${again} user${index} ${what}${d.duplicate ? ' (twice)' : ''}`;
    this.trace.push(`${label} → ${statuses.join(',')}`);
    const slot = this.slots[index]!;
    const created = responses.find((r) => r.status === 201);
    if (d.command.kind === 'create' && created) {
      if (slot.id) {
        slot.retired.push(slot.id);
        this.recreated += 1;
      }
      slot.id = (created.body as { id: string }).id;
      slot.deleted = false;
    }
    if (d.command.kind === 'delete' && statuses.some((s) => s === 204 || s === 404)) slot.deleted = true;

    if (statuses.some((s) => s >= 500)) this.problems.push(`${label}: server error ${statuses.join(',')}`);
    const ok = statuses.some((s) => s >= 200 && s < 300);
    // Of a duplicated create or delete one copy loses (409/404), but one copy must succeed unless its user was deleted under it.
    if (!ok && !contested)
      this.problems.push(`${label}: no copy succeeded (${statuses.join(',')}): ${JSON.stringify(responses[0]?.body)}`);
  }
}
