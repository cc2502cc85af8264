// cli/app-webhook.ts: a webhook app's settings from the CLI's flags: URL, signing secret, rotation with an overlap.
import { newWebhookSecret, WebhookAppConfigSchema } from '../connectors/webhook';
import type { Stores } from '../store';
import { CliError } from './context';

const OVERLAP_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--overlap`: how long the previous secret keeps signing next to the new one (0m to 30d; 24h by default). */
export function parseOverlap(text: string): number {
  const match = /^(\d+)([mhd])$/.exec(text);
  const ms = match ? Number(match[1]) * OVERLAP_UNITS[match[2]!]! : NaN;
  if (!(ms >= 0 && ms <= 30 * 86_400_000))
    throw new CliError(`--overlap must be a duration from 0m to 30d (like 30m, 24h, 7d): ${text}`);
  return ms;
}

/** The endpoint's URL, checked (http or https). */
export function checkWebhookUrl(url: string): string {
  const parsed = WebhookAppConfigSchema.shape.url.safeParse(url);
  if (!parsed.success || !/^https?:\/\//i.test(url)) throw new CliError(`--url must be an http(s) URL: ${url}`);
  return url;
}

/** A new webhook app's connection settings; the secret is generated when none is given (and then shown once). */
export function webhookConfig(url: string | undefined, secret: string | undefined) {
  if (!url) throw new CliError('--type webhook needs --url (the endpoint that receives the events)');
  checkWebhookUrl(url);
  const webhook = { secret: secret ?? newWebhookSecret() };
  if (!WebhookAppConfigSchema.shape.webhook.safeParse(webhook).success || !isBase64(webhook.secret.slice(6)))
    throw new CliError('--secret must be whsec_ followed by base64 (at least 24 bytes)');
  return { config: { url, webhook }, generated: secret === undefined ? webhook.secret : undefined };
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
  const { url, webhook } = WebhookAppConfigSchema.parse(config);
  const pending = stores.webhooks.list(appId, { pending: true, limit: 1_000 });
  return {
    url,
    secretSet: true,
    previousSecretUntil:
      webhook.previousUntil && Date.parse(webhook.previousUntil) > Date.now() ? webhook.previousUntil : null,
    deliveries: {
      pending: pending.length,
      oldestPendingSince: pending.at(-1)?.createdAt ?? null,
      lastError: pending[0]?.lastError ?? null,
    },
  };
}
