// connectors/webhook-config.ts: a webhook app's settings (endpoint, format, signing, status URL) and HMAC signing.
import crypto from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { z } from 'zod';
import { SetSigningSchema } from './scim-set';

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

export interface WebhookApp {
  id: string;
  name: string;
}

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
