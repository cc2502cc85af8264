// cli/app-webhook.ts: a webhook app's settings from the CLI's flags: URL, signing secret, rotation with an overlap.
import { newWebhookSecret, WebhookAppConfigSchema } from '../connectors/webhook';
import type { Stores } from '../store';
import { CliError } from './context';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration flag (like 30s, 30m, 24h, 7d) within bounds, in ms. */
function parseDuration(flag: string, text: string, minMs: number, maxMs: number, bounds: string): number {
  const match = /^(\d+)([smhd])$/.exec(text);
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : NaN;
  if (!(ms >= minMs && ms <= maxMs))
    throw new CliError(`${flag} must be a duration from ${bounds} (like 30m, 24h, 7d): ${text}`);
  return ms;
}

/** `--overlap`: how long the previous secret keeps signing next to the new one (0m to 30d; 24h by default). */
export const parseOverlap = (text: string) => parseDuration('--overlap', text, 0, 30 * UNITS.d!, '0m to 30d');

/** `--dead-letter-after`: how long a non-revocation event may keep failing before it is dead-lettered (1m to 30d). */
export const parseDeadLetterAfter = (text: string) =>
  parseDuration('--dead-letter-after', text, UNITS.m!, 30 * UNITS.d!, '1m to 30d') / 1000;

/** The endpoint's URL, checked (http or https). */
export function checkWebhookUrl(url: string): string {
  const parsed = WebhookAppConfigSchema.shape.url.safeParse(url);
  if (!parsed.success || !/^https?:\/\//i.test(url)) throw new CliError(`--url must be an http(s) URL: ${url}`);
  return url;
}

/** A new webhook app's connection settings; the secret is generated when none is given (and then shown once). */
export function webhookConfig(url: string | undefined, secret: string | undefined, deadLetterAfter: string) {
  if (!url) throw new CliError('--type webhook needs --url (the endpoint that receives the events)');
  checkWebhookUrl(url);
  const webhook = { secret: secret ?? newWebhookSecret() };
  if (!WebhookAppConfigSchema.shape.webhook.safeParse(webhook).success || !isBase64(webhook.secret.slice(6)))
    throw new CliError('--secret must be whsec_ followed by base64 (at least 24 bytes)');
  const deadLetterAfterSeconds = parseDeadLetterAfter(deadLetterAfter);
  return {
    config: { url, webhook, deadLetterAfterSeconds },
    generated: secret === undefined ? webhook.secret : undefined,
  };
}

const isBase64 = (text: string) => /^[A-Za-z0-9+/]+={0,2}$/.test(text) && Buffer.from(text, 'base64').length >= 24;

/** A new signing secret; the current one keeps signing beside it for `overlapMs` so receivers can switch over. */
export function rotatedWebhook(current: Record<string, unknown>, overlapMs: number, now = new Date()) {
  const { webhook } = WebhookAppConfigSchema.parse(current);
  const secret = newWebhookSecret();
  const rotated =
    overlapMs > 0
      ? { secret, previousSecret: webhook.secret, previousUntil: new Date(now.getTime() + overlapMs).toISOString() }
      : { secret };
  return { webhook: rotated, secret };
}

/** What `app show` says about a webhook app: never a secret; the deliveries not acknowledged yet. */
export function describeWebhook(stores: Stores, appId: string, config: Record<string, unknown>) {
  const { url, webhook, deadLetterAfterSeconds } = WebhookAppConfigSchema.parse(config);
  const pending = stores.webhooks.list(appId, { pending: true, limit: 1_000 });
  return {
    url,
    deadLetterAfterSeconds,
    secretSet: true,
    previousSecretUntil:
      webhook.previousUntil && Date.parse(webhook.previousUntil) > Date.now() ? webhook.previousUntil : null,
    deliveries: {
      pending: pending.length,
      deadLettered: pending.filter((d) => d.deadLetteredAt !== null).length,
      oldestPendingSince: pending.at(-1)?.createdAt ?? null,
      lastError: pending[0]?.lastError ?? null,
    },
  };
}
