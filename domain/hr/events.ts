// domain/hr/events.ts: pure: what an HR system tells scimflow (zod), and how a person is named.
import { z } from 'zod';
import type { EffectiveTimeError } from './effective';
import { parseEffective } from './effective';

export const HR_EVENT_TYPES = [
  'termination',
  'termination.rescinded',
  'leave.started',
  'leave.ended',
  'rehire',
  'mover',
] as const;
export type HrEventType = (typeof HR_EVENT_TYPES)[number];

/** How a directory matches HR's person to a SCIM user. */
export const MATCH_KEYS = ['employeeNumber', 'externalId', 'userName', 'email'] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

const Text = (max: number) => z.string().trim().min(1).max(max);

export const PersonSchema = z
  .object({
    employeeNumber: Text(256).optional(),
    externalId: Text(256).optional(),
    userName: Text(256).optional(),
    email: Text(320).optional(),
  })
  .strict();
export type Person = z.infer<typeof PersonSchema>;

/** What a mover changes (the enterprise extension's names); `null` clears. */
export const MoverChangesSchema = z
  .object({
    manager: Text(256).nullable().optional(),
    department: Text(256).nullable().optional(),
    title: Text(256).nullable().optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, 'a mover names at least one of manager, department, title');
export type MoverChanges = z.infer<typeof MoverChangesSchema>;

/** The body of `POST /hr/v1/{directoryId}/events` (and of one row of `hr import`). */
export const HrEventBodySchema = z
  .object({
    /** The event's id; a webhook delivery's `webhook-id` is used when absent (and must match when both are given). */
    id: Text(128).optional(),
    type: z.enum(HR_EVENT_TYPES),
    person: PersonSchema.optional(),
    /** RFC 3339 with `Z` or an offset, or a local time with `timeZone`; absent or past: now. */
    effectiveAt: Text(64).optional(),
    timeZone: Text(64).optional(),
    reason: z.string().max(1024).optional(),
    /** `termination.rescinded`: the id of the termination it takes back. */
    rescinds: Text(128).optional(),
    changes: MoverChangesSchema.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.type === 'termination.rescinded') {
      if (!body.rescinds) ctx.addIssue({ code: 'custom', message: 'a rescind names the termination in `rescinds`' });
    } else if (!body.person || Object.keys(body.person).length === 0)
      ctx.addIssue({
        code: 'custom',
        message: '`person` names the person (employeeNumber, externalId, userName or email)',
      });
    if (body.type === 'mover' && !body.changes)
      ctx.addIssue({ code: 'custom', message: 'a mover carries `changes` (manager, department, title)' });
    if (body.effectiveAt)
      try {
        parseEffective(body.effectiveAt, body.timeZone);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['effectiveAt'], message: (err as EffectiveTimeError).message });
      }
  });
export type HrEventBody = z.infer<typeof HrEventBodySchema>;

/** The value of the directory's match key in `person` (case-folded, as it is compared), or undefined. */
export function matchValueOf(person: Person | undefined, key: MatchKey): string | undefined {
  const value = person?.[key];
  return value === undefined ? undefined : value.toLowerCase();
}

/** When it takes effect: its effective time, or `receivedAt` when it has none or it lies in the past. */
export function effectiveInstant(body: Pick<HrEventBody, 'effectiveAt' | 'timeZone'>, receivedAt: Date): Date {
  if (!body.effectiveAt) return receivedAt;
  const at = parseEffective(body.effectiveAt, body.timeZone);
  return at.getTime() < receivedAt.getTime() ? receivedAt : at;
}

export function zodMessage(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
