// connectors/webhook-sender.ts: how a built webhook event reaches the endpoint: built once (stable id, body, sequence),
// after the subject's earlier unacknowledged events, signed per attempt, recorded, dead-lettered or retried.
import crypto from 'node:crypto';
import type { Stores } from '../store';
import type { WebhookDelivery } from '../store/webhook-deliveries';
import { StaleWebhookEventError } from '../store/webhook-deliveries';
import type { ReadOptions } from './connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from './connector';
import { setErrorOf, signSet } from './scim-set';
import type { WebhookApp, WebhookAppConfig } from './webhook-config';
import { signatureHeader, signingSecrets } from './webhook-config';

export const hash = (...parts: string[]) => crypto.createHash('sha256').update(parts.join('\0')).digest('hex');

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** One event to send: what it is about (`subject`: an account id, or `group:<id>`) and how its body is built. */
export interface OutgoingEvent {
  type: string;
  eventId: string;
  subject: string;
  /** The directory change (log seq) it converges to; 0 when not known. */
  changeSeq: number;
  build: (sequence: number, createdAt: string) => string;
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

export function createWebhookSender(
  deliveries: Stores['webhooks'],
  app: WebhookApp,
  config: WebhookAppConfig,
  now: () => Date = () => new Date(),
) {
  /**
   * Builds the event once and sends it. Order is the promise: the subject's earlier events that were never
   * acknowledged (a create whose retry a newer change replaced) go out first, each as it was built; while one of them
   * fails, this one waits behind it. Revocations go first, like in every other app: they never wait behind an event
   * that gives access.
   */
  async function send(event: OutgoingEvent, options: ReadOptions): Promise<void> {
    const { type, eventId, subject, changeSeq } = event;
    const delivery = await prepareOrRefuse({ appId: app.id, eventId, remoteId: subject, type, changeSeq }, event.build);
    if (!mustArrive(type))
      for (const earlier of await deliveries.pendingBefore(app.id, subject, delivery.sequence))
        await post(earlier, options);
    await post(delivery, options);
  }

  /** A given-up attempt of an older run that got here after a newer run's event: refused, never sent. */
  async function prepareOrRefuse(...args: Parameters<Stores['webhooks']['prepare']>): Promise<WebhookDelivery> {
    try {
      return await deliveries.prepare(...args);
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
  async function post(delivery: WebhookDelivery, options: ReadOptions): Promise<void> {
    const { eventId, type } = delivery;
    const revocation = mustArrive(type);
    if (delivery.deadLetteredAt !== null && !revocation)
      throw new DownstreamRejectedError(
        `${app.name}: ${type} ${eventId} is dead-lettered since ${delivery.deadLetteredAt} (${delivery.lastError ?? 'no answer'}); ` +
          `scimflow webhooks redeliver --app ${app.id} sends it again`,
      );
    const failed = async (message: string, status: number, retryAfter?: number): Promise<never> => {
      await deliveries.attempted(app.id, eventId, { status, error: message });
      const refused = status >= 400 && status < 500 && status !== 408 && status !== 429;
      const expired = now().getTime() - Date.parse(delivery.createdAt) >= config.deadLetterAfterSeconds * 1000;
      if (revocation) throw new DownstreamUnavailableError(message, status || undefined, retryAfter);
      if (refused || expired) {
        await deliveries.deadLetter(app.id, eventId);
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
      await deliveries.attempted(app.id, eventId, { status: res.status });
      return;
    }
    const why = config.format === 'scim-set' ? setErrorOf(answer) : undefined;
    const message = `${app.name}: ${type} ${eventId}: the endpoint answered ${res.status}${why ? ` (${why})` : ''}`;
    await failed(message, res.status, retryAfterMs(res.headers.get('retry-after')));
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

  return { send, statusAuth };
}

/** Account events that take access away. */
const REVOCATION_TYPES: ReadonlySet<string> = new Set(['account.disabled', 'account.deleted', 'entitlement.revoked']);

/**
 * Events that are never dead-lettered and never wait behind an earlier one: revocations (they go first, retried for
 * ever), and group events (their feed sends them one at a time in the log's order, so none is earlier and unsent).
 */
export const mustArrive = (type: string) => REVOCATION_TYPES.has(type) || type.startsWith('group.');
