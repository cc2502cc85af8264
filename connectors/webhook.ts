// connectors/webhook.ts: an app that is not a SCIM server: told by signed HTTP POSTs (Standard Webhooks).
import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import type { WebhookDelivery, WebhookDeliveryStore } from '../store/webhook-deliveries';
import { StaleWebhookEventError } from '../store/webhook-deliveries';
import type { AccountSpec, CallOptions, Connector, RemoteAccount } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import { createLocalAppConnector } from './local-app';
import { createStatusReader } from './webhook-status';
import { setClaims, setErrorOf, SetSigningSchema, signSet } from './scim-set';
import type { ChangeSource } from '../domain/apps/change-source';

export const WebhookFormatSchema = z.enum(['standard-webhooks', 'scim-set']);
export type WebhookFormat = z.infer<typeof WebhookFormatSchema>;

export const WebhookAppConfigSchema = z
  .object({
    url: z.string().url(),
    /** `standard-webhooks`: JSON signed with HMAC; `scim-set`: SCIM Security Event Tokens pushed per RFC 8935. */
    format: WebhookFormatSchema.default('standard-webhooks'),
    timeoutMs: z.number().int().positive().default(10_000),
    /** A non-revocation event still failing this long after it was built is dead-lettered (revocations never are). */
    deadLetterAfterSeconds: z.number().int().positive().default(86_400),
    /** `standard-webhooks`: the HMAC signing secrets. */
    webhook: z
      .object({
        secret: z.string().startsWith('whsec_'),
        /** The secret before the last rotation, still signing (next to the new one) until `previousUntil`. */
        previousSecret: z.string().startsWith('whsec_').optional(),
        previousUntil: z.string().datetime().optional(),
      })
      .optional(),
    /** `scim-set`: the ES256 key, issuer and audience. */
    set: SetSigningSchema.optional(),
    /** `scim-set`: a bearer token the receiver asks for (RFC 8935 §2.6), sealed at rest; also sent to `statusUrl`. */
    token: z.string().min(1).optional(),
    /** Where the app says what it holds (`GET <statusUrl>/<account id>`): reads, and so verification, ask it. */
    statusUrl: z.string().url().optional(),
  })
  .refine((c) => (c.format === 'scim-set' ? c.set !== undefined : c.webhook !== undefined), {
    message: 'a webhook app needs its signing settings (webhook.secret, or set for scim-set)',
  });
export type WebhookAppConfig = z.output<typeof WebhookAppConfigSchema>;

export type WebhookEventType =
  | 'account.created'
  | 'account.updated'
  | 'account.disabled'
  | 'account.deleted'
  | 'entitlement.granted'
  | 'entitlement.revoked';

/** Events that take access away. */
const REVOCATIONS: ReadonlySet<WebhookEventType> = new Set([
  'account.disabled',
  'account.deleted',
  'entitlement.revoked',
]);

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the Standard Webhooks form). */
export const newWebhookSecret = () => `whsec_${crypto.randomBytes(32).toString('base64')}`;

/** The signing secrets in use now: the current one, and the previous one during its overlap. */
export function signingSecrets(config: NonNullable<WebhookAppConfig['webhook']>, now: Date): string[] {
  const { secret, previousSecret, previousUntil } = config;
  const overlap =
    previousSecret !== undefined && previousUntil !== undefined && Date.parse(previousUntil) > now.getTime();
  return overlap ? [secret, previousSecret] : [secret];
}

/** `webhook-signature`: one `v1,<base64>` per secret in use, space-separated (receivers accept any of them). */
export function signatureHeader(secrets: string[], eventId: string, at: Date, body: string): string {
  return secrets.map((s) => new Webhook(s).sign(eventId, at, body)).join(' ');
}

const hash = (...parts: string[]) => crypto.createHash('sha256').update(parts.join('\0')).digest('hex');

/** An account id from the create's idempotency key: a retried create names the same account. */
const accountIdOf = (appId: string, idempotencyKey: string) => {
  const h = hash('account', appId, idempotencyKey);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** `identity/<directory>/<identity>/<seq>/<app>/<step>…` (workflows/contracts.ts): the identity and the change. */
function changeOf(idempotencyKey: string): { directoryId: string; identityId: string; seq: number } | undefined {
  const m = /^identity\/([^/]+)\/([^/]+)\/(\d+)\//.exec(idempotencyKey);
  return m ? { directoryId: m[1]!, identityId: m[2]!, seq: Number(m[3]) } : undefined;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export interface WebhookApp {
  id: string;
  name: string;
}

/** Where a directory change came from (its log event's kind); undefined once the event is pruned. */
export type SourceOf = (directoryId: string, seq: number) => ChangeSource | undefined;

/**
 * What the app was told is kept like the local demo app's accounts (`local_accounts`): reads answer from it, so a
 * revocation counts as verified once the endpoint acknowledged it. Access given is recorded before the POST (a POST
 * whose answer was lost may have been applied: a leaver still revokes it), access taken away only after the 2xx.
 */
export function createWebhookConnector(
  db: Database.Database,
  deliveries: WebhookDeliveryStore,
  app: WebhookApp,
  config: WebhookAppConfig,
  sourceOf: SourceOf = () => undefined,
  now: () => Date = () => new Date(),
): Connector {
  const ledger = createLocalAppConnector(db, app.id, {
    newId: (_spec, options) => accountIdOf(app.id, options.idempotencyKey),
  });

  async function send(
    type: WebhookEventType,
    remoteId: string,
    details: {
      account: RemoteAccount & { attributes?: AccountSpec };
      entitlement?: string;
      previous?: Record<string, unknown>;
    },
    options: CallOptions,
  ): Promise<void> {
    // The id names what the event says, not `previous` (read from the record, which a retried enable has already moved).
    const content = JSON.stringify({ account: details.account, entitlement: details.entitlement });
    const eventId = `msg_${hash(app.id, options.idempotencyKey, type, remoteId, content).slice(0, 32)}`;
    const change = changeOf(options.idempotencyKey);
    const source = change && sourceOf(change.directoryId, change.seq);
    const facts = {
      app: { id: app.id, name: app.name },
      ...(change ? { directoryId: change.directoryId, identityId: change.identityId } : {}),
      ...(source ? { source } : {}),
    };
    const prepare = { appId: app.id, eventId, remoteId, type, changeSeq: change?.seq ?? 0 };
    const delivery = prepareOrRefuse(prepare, (sequence, createdAt) =>
      JSON.stringify(
        config.set && config.format === 'scim-set'
          ? setClaims(
              {
                type,
                eventId,
                txn: change && `${change.directoryId}.${change.seq}`,
                sequence,
                createdAt,
                ...details,
                scimflow: { ...facts, type },
              },
              config.set,
            )
          : { id: eventId, type, timestamp: createdAt, data: { ...facts, sequence, ...details } },
      ),
    );
    // Order is the promise: the account's earlier events that were never acknowledged (a create whose retry a newer
    // change replaced) go out first, each as it was built; while one of them fails, this one waits behind it.
    // Revocations go first, like in every other app: they never wait behind an event that gives access.
    if (!REVOCATIONS.has(type))
      for (const earlier of deliveries.pendingBefore(app.id, remoteId, delivery.sequence)) await post(earlier, options);
    await post(delivery, options);
  }

  /** A given-up attempt of an older run that got here after a newer run's event: refused, never sent. */
  function prepareOrRefuse(...args: Parameters<WebhookDeliveryStore['prepare']>): WebhookDelivery {
    try {
      return deliveries.prepare(...args);
    } catch (err) {
      if (err instanceof StaleWebhookEventError)
        throw new DownstreamRejectedError(`${app.name}: ${args[0].type} not built: ${err.message}`);
      throw err;
    }
  }

  /**
   * One POST of a built event; its outcome is recorded and a failure thrown. A revocation's failure is always transient
   * (retried for ever, shown as stuck). Any other event is dead-lettered when refused (a 4xx but 408/429) or when still
   * failing `deadLetterAfterSeconds` after it was built: then it is a refusal for the step (an exception a human sees),
   * it is not sent again, and the account's later events wait behind it until `scimflow webhooks redeliver`.
   */
  async function post(delivery: WebhookDelivery, options: CallOptions): Promise<void> {
    const { eventId, type } = delivery;
    const revocation = REVOCATIONS.has(type as WebhookEventType);
    if (delivery.deadLetteredAt !== null && !revocation)
      throw new DownstreamRejectedError(
        `${app.name}: ${type} ${eventId} is dead-lettered since ${delivery.deadLetteredAt} (${delivery.lastError ?? 'no answer'}); ` +
          `scimflow webhooks redeliver --app ${app.id} sends it again`,
      );
    const failed = (message: string, status: number, retryAfter?: number): never => {
      deliveries.attempted(app.id, eventId, { status, error: message });
      const refused = status >= 400 && status < 500 && status !== 408 && status !== 429;
      const expired = now().getTime() - Date.parse(delivery.createdAt) >= config.deadLetterAfterSeconds * 1000;
      if (revocation) throw new DownstreamUnavailableError(message, status || undefined, retryAfter);
      if (refused || expired) {
        deliveries.deadLetter(app.id, eventId);
        throw new DownstreamRejectedError(
          `${message}; dead-lettered (${refused ? 'refused' : 'failing too long'})`,
          status,
        );
      }
      throw new DownstreamUnavailableError(message, status || undefined, retryAfter);
    };
    const at = now();
    let res: Response;
    let answer: string;
    try {
      const request = await requestOf(delivery, at);
      res = await fetch(config.url, {
        method: 'POST',
        ...request,
        signal: AbortSignal.any([AbortSignal.timeout(config.timeoutMs), ...(options.signal ? [options.signal] : [])]),
      });
      answer = await res.text();
    } catch (err) {
      return failed(`${app.name}: ${type} ${eventId}: ${(err as Error).message}`, 0);
    }
    if (res.ok) {
      deliveries.attempted(app.id, eventId, { status: res.status });
      return;
    }
    const why = config.format === 'scim-set' ? setErrorOf(answer) : undefined;
    const message = `${app.name}: ${type} ${eventId}: the endpoint answered ${res.status}${why ? ` (${why})` : ''}`;
    failed(message, res.status, retryAfterMs(res.headers.get('retry-after')));
  }

  /**
   * The POST of a built event, signed now (a retry is signed with the keys in use at its time): Standard Webhooks
   * headers over the JSON body, or the SET as a JWS with `application/secevent+jwt` (RFC 8935 §2).
   */
  async function requestOf(
    delivery: WebhookDelivery,
    at: Date,
  ): Promise<{ headers: Record<string, string>; body: string }> {
    const { eventId, body } = delivery;
    if (config.format === 'scim-set' && config.set) {
      const headers: Record<string, string> = {
        'content-type': 'application/secevent+jwt',
        accept: 'application/json',
        'user-agent': 'scimflow-webhooks',
      };
      if (config.token) headers.authorization = `Bearer ${config.token}`;
      return { headers, body: await signSet(body, config.set) };
    }
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'scimflow-webhooks',
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatureHeader(signingSecrets(config.webhook!, at), eventId, at, body),
    };
    return { headers, body };
  }

  /** A status URL's GET is authenticated like the events: signed (Standard Webhooks, empty body) or the bearer token. */
  const statusAuth = (remoteId: string): Record<string, string> => {
    if (config.format === 'scim-set') return config.token ? { authorization: `Bearer ${config.token}` } : {};
    const at = now();
    const id = `status_${hash(app.id, remoteId, at.toISOString()).slice(0, 24)}`;
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatureHeader(signingSecrets(config.webhook!, at), id, at, ''),
    };
  };
  const readStatus =
    config.statusUrl === undefined
      ? undefined
      : createStatusReader({
          appName: app.name,
          statusUrl: config.statusUrl,
          timeoutMs: config.timeoutMs,
          authHeaders: statusAuth,
        });

  const docOf = db.prepare<[string, string], { doc: string }>(
    'SELECT doc FROM local_accounts WHERE app_id = ? AND id = ?',
  );
  /** The attributes the app was last told, of those an update changes: the event's `previous`. */
  const previousOf = (remoteId: string, spec: AccountSpec): Record<string, unknown> => {
    const row = docOf.get(app.id, remoteId);
    const before = row ? (JSON.parse(row.doc) as Record<string, unknown>) : {};
    const keys = new Set([...Object.keys(before), ...Object.keys(spec)]);
    const changed = [...keys].filter(
      (k) => JSON.stringify(before[k]) !== JSON.stringify((spec as Record<string, unknown>)[k]),
    );
    return Object.fromEntries(changed.map((k) => [k, before[k] ?? null]));
  };

  return {
    // With a status URL the app's own answer decides whether the account exists and is enabled, and what it holds:
    // a revocation is verified only when the app says so. Without one, what the app acknowledged is the record.
    async getAccount(remoteId, options) {
      const told = await ledger.getAccount(remoteId, options);
      if (!readStatus) return told;
      const status = await readStatus(remoteId, options);
      if (!status) return undefined;
      return { id: remoteId, userName: told?.userName ?? '', externalId: told?.externalId, active: status.active };
    },
    async heldEntitlements(remoteId, among, options) {
      if (!readStatus) return ledger.heldEntitlements(remoteId, among, options);
      const held = (await readStatus(remoteId, options))?.entitlements ?? [];
      return among.filter((e) => held.includes(e));
    },
    searchAccounts: (attribute, value, options) => ledger.searchAccounts(attribute, value, options),
    listAccounts: (startIndex, count, options) => ledger.listAccounts(startIndex, count, options),
    entitlementHolders: (entitlements, options) => ledger.entitlementHolders(entitlements, options),

    async createAccount(spec, options) {
      const account = await ledger.createAccount(spec, options);
      await send('account.created', account.id, { account: { ...account, attributes: spec } }, options);
      return account;
    },
    async updateAccount(remoteId, spec, options) {
      const before = await ledger.getAccount(remoteId);
      if (!before) throw new DownstreamRejectedError(`${app.name}: no account ${remoteId}`, 404);
      const account = { ...before, userName: spec.userName, externalId: spec.externalId, active: spec.active };
      const event = { account: { ...account, attributes: spec }, previous: previousOf(remoteId, spec) };
      // Enabling gives access: recorded first. Anything else is recorded once the endpoint has it.
      if (spec.active) await ledger.updateAccount(remoteId, spec, options);
      await send('account.updated', remoteId, event, options);
      return spec.active ? account : ledger.updateAccount(remoteId, spec, options);
    },
    async disableAccount(remoteId, options) {
      const before = await ledger.getAccount(remoteId);
      if (!before) return undefined;
      await send('account.disabled', remoteId, { account: { ...before, active: false } }, options);
      return ledger.disableAccount(remoteId, options);
    },
    async deleteAccount(remoteId, options) {
      const before = await ledger.getAccount(remoteId);
      if (!before) return;
      await send('account.deleted', remoteId, { account: before }, options);
      await ledger.deleteAccount(remoteId, options);
    },
    async grantEntitlement(remoteId, entitlement, options) {
      const account = await ledger.getAccount(remoteId);
      if (!account) throw new DownstreamRejectedError(`${app.name}: no account ${remoteId}`, 404);
      await ledger.grantEntitlement(remoteId, entitlement, options);
      await send('entitlement.granted', remoteId, { account, entitlement }, options);
    },
    async revokeEntitlement(remoteId, entitlement, options) {
      const account = await ledger.getAccount(remoteId);
      if (!account) return; // never told about this account: nothing to take back
      await send('entitlement.revoked', remoteId, { account, entitlement }, options);
      await ledger.revokeEntitlement(remoteId, entitlement, options);
    },
  };
}
