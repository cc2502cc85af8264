// test/helpers/hr-world.ts: signed HR deliveries against a test stack, and the waits HR tests share.
import { Webhook } from 'standardwebhooks';
import type { LeaverWorld } from './leaver-world';

export interface Delivery {
  status: number;
  body: any;
}

/** Posts one HR event signed with `secret` (Standard Webhooks); `at` forges the timestamp, `sign` the signature. */
export async function deliverHr(
  world: LeaverWorld,
  secret: string,
  event: Record<string, unknown>,
  opts: { id?: string; at?: Date; signature?: string; directoryId?: string; raw?: string } = {},
): Promise<Delivery> {
  const id = opts.id ?? (event.id as string | undefined) ?? `evt-${Math.random().toString(36).slice(2)}`;
  const body = opts.raw ?? JSON.stringify(event);
  const at = opts.at ?? new Date();
  const signature = opts.signature ?? new Webhook(secret).sign(id, at, body);
  const res = await fetch(`${world.stack.baseUrl}/hr/v1/${opts.directoryId ?? world.directoryId}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** An instant `ms` from now, as RFC 3339 UTC. */
export const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
