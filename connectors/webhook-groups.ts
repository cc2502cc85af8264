// connectors/webhook-groups.ts: a directory log's group events as webhook events (JSON or SCIM SETs), one per log event.
import type { ChangeSource } from '../domain/apps/change-source';
import type { SetSigning } from './scim-set';
import { setEnvelope } from './scim-set';
import type { WebhookApp, WebhookAppConfig } from './webhook-config';
import type { OutgoingEvent } from './webhook-sender';
import { hash } from './webhook-sender';

export type GroupEventType =
  'group.created' | 'group.updated' | 'group.deleted' | 'group.member.added' | 'group.member.removed';

export interface GroupFacts {
  id: string;
  displayName?: string;
  externalId?: string;
}

/** A member as the app knows it: its account id in the app (the one scimflow gives it), and the directory's ids. */
export interface MemberFacts {
  identityId: string;
  accountId: string;
  userName?: string;
  externalId?: string;
}

/** One group event of the directory's log, with what the feed read about it when it got there. */
export interface GroupLogEvent {
  directoryId: string;
  /** The directory log's seq: also the change the event converges to. */
  seq: number;
  type: GroupEventType;
  group: GroupFacts;
  member?: MemberFacts;
  source: ChangeSource;
}

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PROV = 'urn:ietf:params:scim:event:prov';

/**
 * RFC 9967 events of a group change: create:full with the Group (no members: each member has its own event), an
 * attributes PatchOp for an update, delete, a members PatchOp per member change (RFC 9967 Figure 6).
 */
function groupEvents(e: GroupLogEvent, sequence: number): Record<string, Record<string, unknown>> {
  const version = `W/"${sequence}"`;
  const data = { schemas: [GROUP_SCHEMA], ...e.group };
  const patch = (operation: Record<string, unknown>) => ({
    [`${PROV}:patch:full`]: { version, data: { schemas: [PATCH_SCHEMA], Operations: [operation] } },
  });
  const member = e.member!;
  switch (e.type) {
    case 'group.created':
      return { [`${PROV}:create:full`]: { version, data } };
    case 'group.updated': {
      // Its own attributes only, as a PatchOp: a put:full would replace the members a receiver holds.
      const { displayName, externalId } = e.group;
      const ops = Object.entries({ displayName, externalId }).filter(([, value]) => value !== undefined);
      return {
        [`${PROV}:patch:full`]: {
          version,
          data: {
            schemas: [PATCH_SCHEMA],
            Operations: ops.map(([path, value]) => ({ op: 'replace', path, value })),
          },
        },
      };
    }
    case 'group.deleted':
      return { [`${PROV}:delete`]: {} };
    case 'group.member.added':
      return patch({
        op: 'add',
        path: 'members',
        value: [{ value: member.accountId, $ref: `/Users/${member.accountId}`, display: member.userName }],
      });
    case 'group.member.removed':
      return patch({ op: 'remove', path: `members[value eq ${JSON.stringify(member.accountId)}]` });
  }
}

function setBody(
  e: GroupLogEvent,
  base: Record<string, unknown>,
  sequence: number,
  createdAt: string,
  set: SetSigning,
) {
  const { id, externalId } = e.group;
  const envelope = {
    createdAt,
    eventId: base.eventId as string,
    txn: `${e.directoryId}.${e.seq}`,
    endpoint: '/Groups' as const,
    id,
    ...(externalId ? { externalId } : {}),
  };
  return setEnvelope(envelope, set, groupEvents(e, sequence), { ...(base.facts as object), type: e.type, sequence });
}

/**
 * The webhook event of one log event: its id names the app and the log position (a retry and a restarted feed send the
 * same id and body); `group:<id>` is its subject, so each group's events have their own sequence.
 */
export function groupWebhookEvent(app: WebhookApp, config: WebhookAppConfig, e: GroupLogEvent): OutgoingEvent {
  const eventId = `msg_${hash(app.id, 'group-feed', e.directoryId, String(e.seq), e.type).slice(0, 32)}`;
  const facts = { app: { id: app.id, name: app.name }, directoryId: e.directoryId, logSeq: e.seq, source: e.source };
  const build = (sequence: number, createdAt: string) =>
    JSON.stringify(
      config.format === 'scim-set' && config.set
        ? setBody(e, { eventId, facts }, sequence, createdAt, config.set)
        : {
            id: eventId,
            type: e.type,
            timestamp: createdAt,
            data: { ...facts, sequence, group: e.group, ...(e.member ? { member: e.member } : {}) },
          },
    );
  return { type: e.type, eventId, subject: `group:${e.group.id}`, changeSeq: e.seq, build };
}
