// activities/group-feed.ts: sends a webhook app its directory's group events, in log order, from where it left off.
import { Context } from '@temporalio/activity';
import { webhookAccountId } from '../connectors/webhook';
import { WebhookAppConfigSchema } from '../connectors/webhook-config';
import type { GroupEventType, GroupLogEvent } from '../connectors/webhook-groups';
import { groupWebhookEvent } from '../connectors/webhook-groups';
import { createWebhookSender } from '../connectors/webhook-sender';
import { changeSource } from '../domain/apps/change-source';
import type { Stores } from '../store';
import type { EventKind, EventRow } from '../store/event-log';
import type { ActivityDeps } from './step-kit';

const GROUP_KINDS: readonly EventKind[] = ['group.created', 'group.updated', 'group.deleted', 'membership'];
const PAGE = 100;

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * What the feed says of one log event, read now: the group as it is (a change to a group deleted since is skipped:
 * its `group.deleted` follows), the member with the account id scimflow gives it in this app.
 */
async function groupLogEvent(stores: Stores, appId: string, e: EventRow): Promise<GroupLogEvent | undefined> {
  const groupId = e.kind === 'membership' ? text(e.detail.groupId) : e.identityId;
  if (!groupId) return undefined;
  const source = changeSource(e.kind, e.detail);
  const base = { directoryId: e.directoryId, seq: e.seq, source };
  if (e.kind === 'group.deleted') return { ...base, type: 'group.deleted', group: { id: groupId } };
  const group = await stores.resources.get(e.directoryId, 'Group', groupId);
  if (!group) return undefined;
  const facts = {
    id: groupId,
    ...(text(group.doc.displayName) ? { displayName: text(group.doc.displayName) } : {}),
    ...(text(group.doc.externalId) ? { externalId: text(group.doc.externalId) } : {}),
  };
  if (e.kind !== 'membership') return { ...base, type: e.kind as GroupEventType, group: facts };
  const user = await stores.resources.getAnyState(e.directoryId, e.identityId);
  const member = {
    identityId: e.identityId,
    accountId:
      (await stores.applied.get(e.directoryId, e.identityId, appId))?.remoteId ?? webhookAccountId(appId, e.identityId),
    ...(text(user?.doc.userName) ? { userName: text(user?.doc.userName) } : {}),
    ...(text(user?.doc.externalId) ? { externalId: text(user?.doc.externalId) } : {}),
  };
  const type = e.detail.change === 'removed' ? 'group.member.removed' : 'group.member.added';
  return { ...base, type, group: facts, member };
}

export interface GroupFeedResult {
  /** The app is gone (or no longer a webhook app): the feed ends. */
  gone: boolean;
  /** A full page was sent: there may be more now. */
  more: boolean;
  cursor: number;
}

export function createGroupFeedActivities(deps: ActivityDeps) {
  const { stores } = deps;
  return {
    /**
     * One page of the app's group feed: each event is sent and acknowledged (retried inside the sender's rules: group
     * events are never dead-lettered) before the cursor passes it, so the app hears every group change once per id,
     * in the log's order. A failure fails the activity; its retry starts again at the cursor.
     */
    async deliverGroupFeed(input: { appId: string }): Promise<GroupFeedResult> {
      const app = await stores.directories.getApp(input.appId);
      if (!app || app.type !== 'webhook') return { gone: true, more: false, cursor: 0 };
      const config = WebhookAppConfigSchema.parse(app.config);
      const sender = createWebhookSender(stores.webhooks, app, config, deps.now);
      const signal = Context.current().cancellationSignal;
      let cursor = await stores.webhooks.groupFeedCursor(app.id);
      const page = await stores.events.page(app.directoryId, { afterSeq: cursor, limit: PAGE, kinds: GROUP_KINDS });
      for (const e of page.events) {
        const event = await groupLogEvent(stores, app.id, e);
        if (event) await sender.send(groupWebhookEvent(app, config, event), { signal });
        await stores.webhooks.advanceGroupFeed(app.id, e.seq);
        cursor = e.seq;
        Context.current().heartbeat(cursor);
      }
      const more = page.events.length === PAGE;
      // A page that is not full has seen the whole log up to its newest seq: nothing of the app's is before it.
      if (!more && page.latestSeq > cursor) {
        await stores.webhooks.advanceGroupFeed(app.id, page.latestSeq);
        cursor = page.latestSeq;
      }
      return { gone: false, more, cursor };
    },
  };
}
