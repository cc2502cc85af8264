// cli/app-webhook.ts: a webhook app's settings from the CLI's flags: URL, signing secret, rotation with an overlap.
import { newSetKey, rotatedSetSigning, setJwks } from '../connectors/scim-set';
import type { WebhookFormat } from '../connectors/webhook-config';
import { newWebhookSecret, WebhookAppConfigSchema } from '../connectors/webhook-config';
import { z } from 'zod';
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

/** The endpoint's (or the status URL's) URL, checked (http or https). */
export function checkWebhookUrl(url: string, flag = '--url'): string {
  const parsed = z.string().url().safeParse(url);
  if (!parsed.success || !/^https?:\/\//i.test(url)) throw new CliError(`${flag} must be an http(s) URL: ${url}`);
  return url;
}

/** What `app add --type webhook` was given. */
export interface WebhookFlags {
  url?: string;
  format: string;
  secret?: string;
  issuer?: string;
  audience?: string;
  token?: string;
  statusUrl?: string;
  deadLetterAfter: string;
}

/**
 * A new webhook app's connection settings. `standard-webhooks`: the HMAC secret, generated when none is given (then
 * shown once). `scim-set`: a new ES256 key (its public half is published, the private one never leaves scimflow), the
 * SETs' issuer (the API's base URL unless given) and audience (the endpoint's URL unless given), an optional bearer
 * token for the receiver.
 */
export function webhookConfig(flags: WebhookFlags, defaultIssuer: string) {
  const { url, secret, issuer, audience, token } = flags;
  if (!url) throw new CliError('--type webhook needs --url (the endpoint that receives the events)');
  checkWebhookUrl(url);
  const format = checkFormat(flags.format);
  const deadLetterAfterSeconds = parseDeadLetterAfter(flags.deadLetterAfter);
  const status = flags.statusUrl === undefined ? {} : { statusUrl: checkWebhookUrl(flags.statusUrl, '--status-url') };
  if (format === 'scim-set') {
    if (secret !== undefined)
      throw new CliError('--secret is for --format standard-webhooks: scim-set signs with a key');
    for (const [flag, value] of [
      ['--issuer', issuer],
      ['--audience', audience],
      ['--token', token],
    ] as const)
      if (value !== undefined && value.trim() === '') throw new CliError(`${flag} must not be empty`);
    const set = { issuer: issuer ?? defaultIssuer, audience: audience ?? url, ...newSetKey() };
    return {
      config: { url, format, set, deadLetterAfterSeconds, ...status, ...(token ? { token } : {}) },
      generated: undefined,
    };
  }
  if (issuer !== undefined || audience !== undefined || token !== undefined)
    throw new CliError('--issuer, --audience and --token are for --format scim-set: a standard webhook is signed');
  const webhook = { secret: secret ?? newWebhookSecret() };
  if (!WebhookAppConfigSchema.def.shape.webhook.safeParse(webhook).success || !isBase64(webhook.secret.slice(6)))
    throw new CliError('--secret must be whsec_ followed by base64 (at least 24 bytes)');
  return {
    config: { url, format, webhook, deadLetterAfterSeconds, ...status },
    generated: secret === undefined ? webhook.secret : undefined,
  };
}

function checkFormat(format: string): WebhookFormat {
  if (format === 'standard-webhooks' || format === 'scim-set') return format;
  throw new CliError(`--format must be standard-webhooks or scim-set: ${format}`);
}

const isBase64 = (text: string) => /^[A-Za-z0-9+/]+={0,2}$/.test(text) && Buffer.from(text, 'base64').length >= 24;

/**
 * A new signing secret (standard-webhooks: the current one keeps signing beside it for `overlapMs`, shown once) or a
 * new signing key (scim-set: the current public key stays in the JWKS for `overlapMs`).
 */
export function rotatedWebhook(current: Record<string, unknown>, overlapMs: number, now = new Date()) {
  const config = WebhookAppConfigSchema.parse(current);
  if (config.format === 'scim-set' && config.set)
    return { set: rotatedSetSigning(config.set, overlapMs, now), secret: undefined };
  const secret = newWebhookSecret();
  const rotated =
    overlapMs > 0
      ? {
          secret,
          previousSecret: config.webhook!.secret,
          previousUntil: new Date(now.getTime() + overlapMs).toISOString(),
        }
      : { secret };
  return { webhook: rotated, secret };
}

/** What `app show` says about a webhook app: never a secret or private key; the deliveries not acknowledged yet. */
export async function describeWebhook(
  stores: Stores,
  app: { id: string; directoryId: string },
  config: Record<string, unknown>,
  now = new Date(),
) {
  const appId = app.id;
  const { url, format, webhook, set, token, statusUrl, deadLetterAfterSeconds } = WebhookAppConfigSchema.parse(config);
  const pending = await stores.webhooks.list(appId, { pending: true, limit: 1_000 });
  const live = (until: string | undefined) => (until && Date.parse(until) > now.getTime() ? until : null);
  const signing = set
    ? { issuer: set.issuer, audience: set.audience, tokenSet: token !== undefined, jwks: setJwks(set, now) }
    : { secretSet: true, previousSecretUntil: live(webhook?.previousUntil) };
  return {
    url,
    format,
    statusUrl: statusUrl ?? null,
    revocationsVerifiedBy: statusUrl ? 'read-back' : 'acknowledgement',
    deadLetterAfterSeconds,
    ...signing,
    deliveries: {
      pending: pending.length,
      deadLettered: pending.filter((d) => d.deadLetteredAt !== null).length,
      oldestPendingSince: pending.at(-1)?.createdAt ?? null,
      lastError: pending[0]?.lastError ?? null,
    },
    // How far the group feed has got: the directory log's seq it has sent up to, and the log's newest.
    groupFeed: {
      sentUpTo: await stores.webhooks.groupFeedCursor(appId),
      logAt: await stores.events.latestSeq(app.directoryId),
    },
  };
}

/** What a receiver of a scim-set app is configured with: the SETs' issuer and audience (the keys are at the JWKS URL). */
export function setSummary(config: Record<string, unknown>) {
  const { set } = WebhookAppConfigSchema.parse(config);
  return set ? { issuer: set.issuer, audience: set.audience } : {};
}
