// test/helpers/webhook-receiver.ts: a real HTTP endpoint for webhook apps, written as an app developer would: verifies
// the Standard Webhooks signature with the `standardwebhooks` library, applies each event id once, can be made to fail.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: {
    app: { id: string; name: string };
    directoryId?: string;
    identityId?: string;
    source?: string;
    sequence: number;
    account: { id: string; userName: string; active: boolean; attributes?: Record<string, unknown> };
    group?: { id: string; displayName?: string };
    member?: { identityId: string; accountId: string; userName?: string };
    logSeq?: number;
    entitlement?: string;
    previous?: Record<string, unknown>;
  };
}

/** A group as the app's group events built it. */
export interface ReceiverGroup {
  displayName?: string;
  /** Account ids of its members. */
  members: string[];
  deleted: boolean;
  sequence: number;
}

export interface ReceiverAccount {
  userName: string;
  active: boolean;
  displayName?: string;
  entitlements: string[];
  /** The newest sequence applied: older events are stale and ignored. */
  sequence: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every request that arrived, verified or not, in arrival order. */
  requests: { id: string; status: number; verified: boolean; account?: string; sequence?: number }[];
  /** Each event id applied once, in the order applied. */
  applied: ReceivedEvent[];
  accounts: Map<string, ReceiverAccount>;
  /** Groups by id, from `group.*` events. */
  groups: Map<string, ReceiverGroup>;
  /** The secrets it accepts (any of them verifies). */
  secrets: string[];
  /** `GET <statusUrl>/<account id>`: what this app holds, answered from `accounts` (signed requests only). */
  statusUrl: string;
  /** Status reads that arrived: the account asked about and whether the request was signed with a known secret. */
  statusReads: { account: string; verified: boolean }[];
  /** Make the status URL say this of an account instead of the truth (undefined: the truth again). */
  setStatusOverride(override: ((account: string) => { status: number; body?: unknown } | undefined) | undefined): void;
  /** How to answer from now on: 'ok', a status with an optional Retry-After, or 'down' (connections refused). */
  setMode(mode: 'ok' | { status: number; retryAfter?: number; only?: (type: string) => boolean }): void;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(secrets: string[]): Promise<WebhookReceiver> {
  let mode: Parameters<WebhookReceiver['setMode']>[0] = 'ok';
  let override: Parameters<WebhookReceiver['setStatusOverride']>[0];
  const receiver: Omit<WebhookReceiver, 'url' | 'statusUrl' | 'stop'> = {
    requests: [],
    applied: [],
    accounts: new Map(),
    groups: new Map(),
    secrets,
    statusReads: [],
    setStatusOverride: (o) => (override = o),
    setMode: (m) => (mode = m),
  };
  const verifies = (body: string, headers: http.IncomingHttpHeaders) =>
    receiver.secrets.some((secret) => {
      try {
        new Webhook(secret).verify(body, headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    });
  const applyGroup = (event: ReceivedEvent) => {
    const { group, member, sequence } = event.data;
    const current = receiver.groups.get(group!.id);
    if (current && current.sequence >= sequence) return; // stale
    const next: ReceiverGroup = current ?? { members: [], deleted: false, sequence };
    next.sequence = sequence;
    if (event.type === 'group.deleted') next.deleted = true;
    if (group!.displayName !== undefined) next.displayName = group!.displayName;
    if (event.type === 'group.member.added' && !next.members.includes(member!.accountId))
      next.members.push(member!.accountId);
    if (event.type === 'group.member.removed') next.members = next.members.filter((m) => m !== member!.accountId);
    receiver.groups.set(group!.id, next);
  };
  const apply = (event: ReceivedEvent) => {
    if (receiver.applied.some((e) => e.id === event.id)) return; // a redelivery: applied once
    receiver.applied.push(event);
    if (event.type.startsWith('group.')) return applyGroup(event);
    const { account, sequence, entitlement } = event.data;
    const current = receiver.accounts.get(account.id);
    if (current && current.sequence >= sequence) return; // stale
    const next: ReceiverAccount = current ?? { userName: account.userName, active: true, entitlements: [], sequence };
    next.sequence = sequence;
    if (event.type === 'account.deleted') {
      receiver.accounts.delete(account.id);
      return;
    }
    next.userName = account.userName;
    next.active = account.active;
    if (typeof account.attributes?.displayName === 'string') next.displayName = account.attributes.displayName;
    if (event.type === 'entitlement.granted' && !next.entitlements.includes(entitlement!))
      next.entitlements.push(entitlement!);
    if (event.type === 'entitlement.revoked') next.entitlements = next.entitlements.filter((e) => e !== entitlement);
    receiver.accounts.set(account.id, next);
  };
  /** The status URL: what the app holds, as its own database says (or as the test makes it lie). */
  const status = (req: http.IncomingMessage, res: http.ServerResponse, account: string) => {
    const verified = verifies('', req.headers);
    receiver.statusReads.push({ account, verified });
    const told = verified ? override?.(account) : { status: 401 };
    const held = receiver.accounts.get(account);
    const answer =
      told ??
      (held ? { status: 200, body: { active: held.active, entitlements: held.entitlements } } : { status: 404 });
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body ?? {}));
  };
  const server = http.createServer((req, res) => {
    const asked = /^\/status\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && asked) return status(req, res, decodeURIComponent(asked[1]!));
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      const verified = verifies(body, req.headers);
      const event = verified ? (JSON.parse(body) as ReceivedEvent) : undefined;
      let status = verified ? 204 : 401;
      if (event && mode !== 'ok' && (mode.only?.(event.type) ?? true)) {
        status = mode.status;
        if (mode.retryAfter !== undefined) res.setHeader('retry-after', String(mode.retryAfter));
      } else if (event) apply(event);
      const subject = event?.data.account?.id ?? (event?.data.group ? `group:${event.data.group.id}` : undefined);
      const about = event ? { account: subject, sequence: event.data.sequence } : {};
      receiver.requests.push({ id, status, verified, ...about });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...receiver,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    statusUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
