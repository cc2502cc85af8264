// api/routes/hr.ts: `POST /hr/v1/{directoryId}/events`: HR events signed per directory (Standard Webhooks).
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ScimError } from '../../domain/scim/errors';
import { recordHrEvent } from '../../hr/record';
import type { AppDeps } from '../app';
import { MAX_JSON_DEPTH, readRawBody, textDepthExceeds } from '../body';
import type { Routes } from '../router';

/** An HR event is small: one person, one change. */
export const HR_MAX_BODY_BYTES = 65_536;

/** True when a delivery's signature verifies with one of the directory's secrets (timestamp within 5 minutes). */
function verified(
  secrets: string[],
  raw: string,
  headers: Record<string, string>,
): { ok: true } | { ok: false; why: string } {
  let why = 'No HR signing secret is set for this directory (scimflow hr secret --directory ID)';
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(raw, headers, { jsonParse: false }); // JSON is parsed (depth-checked) after
      return { ok: true };
    } catch (err) {
      why = err instanceof WebhookVerificationError ? err.message : 'Invalid signature';
    }
  }
  return { ok: false, why };
}

export function mountHrRoutes(router: Routes, deps: AppDeps): void {
  const { stores } = deps;
  router.post('/hr/v1/:directoryId/events', async (ctx) => {
    const headers = {
      'webhook-id': ctx.get('webhook-id'),
      'webhook-timestamp': ctx.get('webhook-timestamp'),
      'webhook-signature': ctx.get('webhook-signature'),
    };
    if (!headers['webhook-id'] || !headers['webhook-timestamp'] || !headers['webhook-signature'])
      throw new ScimError(401, undefined, 'Missing webhook-id, webhook-timestamp or webhook-signature');
    const raw = (await readRawBody(ctx, HR_MAX_BODY_BYTES)).toString('utf8');
    // An unknown directory answers like a bad signature: a caller without the secret learns nothing.
    const directory = await stores.directories.get(ctx.params.directoryId ?? '');
    const check = verified(directory ? await stores.hr.secrets(directory.id) : [], raw, headers);
    if (!directory || !check.ok)
      throw new ScimError(401, undefined, `HR delivery refused: ${check.ok ? 'Invalid signature' : check.why}`);
    if (textDepthExceeds(raw, MAX_JSON_DEPTH))
      throw new ScimError(400, 'invalidSyntax', `Request body nests deeper than ${MAX_JSON_DEPTH} levels`);
    let body: unknown;
    try {
      body = JSON.parse(raw) as unknown;
    } catch (err) {
      throw new ScimError(400, 'invalidSyntax', `Request body is not valid JSON: ${(err as Error).message}`);
    }
    const { events, duplicate, ...result } = await recordHrEvent(stores, directory.id, body, {
      source: 'hr',
      deliveryId: headers['webhook-id'],
    });
    if (events.length > 0) deps.poke(events);
    ctx.status = duplicate ? 200 : 201;
    ctx.body = duplicate ? { duplicate: true, ...result } : result;
  });
}
