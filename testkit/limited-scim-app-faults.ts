// testkit/limited-scim-app-faults.ts: the limited app's fault knobs, checked the same way in-process and over /__control.
import { z } from 'zod';
import type { WriteKind } from './limited-scim-app-http';

const LoseAnswer = z.strictObject({
  on: z.enum(['create', 'update', 'delete', 'group', 'write']),
  times: z.union([z.number().int().positive(), z.literal('always')]),
  how: z.enum(['reset', '500']),
});

const Outage = z.union([
  z.literal(false),
  z.strictObject({ how: z.literal('unavailable'), retryAfterSeconds: z.number().int().nonnegative().optional() }),
  z.strictObject({ how: z.literal('reset') }),
  // Rate limited: 429 Too Many Requests, with Retry-After when given.
  z.strictObject({ how: z.literal('throttled'), retryAfterSeconds: z.number().int().nonnegative().optional() }),
]);

// Flapping: 503 (or connection resets) for downMs, then up for upMs, over and over, from when the fault was set.
const Flap = z.union([
  z.literal(false),
  z.strictObject({
    upMs: z.number().int().positive(),
    downMs: z.number().int().positive(),
    how: z.enum(['unavailable', 'reset']).default('unavailable'),
  }),
]);

const Faults = z.strictObject({
  latencyMs: z.number().nonnegative().max(600_000),
  flap: Flap,
  loseAnswer: z.union([z.literal(false), LoseAnswer]),
  outage: Outage,
  refuseGroupRemoval: z.boolean(),
});

export type LoseAnswerFault = z.output<typeof LoseAnswer>;
export type OutageFault = z.output<typeof Outage>;
export type FlapFault = z.output<typeof Flap>;
export type LimitedScimAppFaults = z.output<typeof Faults>;

export const NO_FAULTS: Readonly<LimitedScimAppFaults> = Object.freeze({
  latencyMs: 0,
  flap: false,
  loseAnswer: false,
  outage: false,
  refuseGroupRemoval: false,
});

/** Unknown keys are refused: a misspelt knob silently doing nothing would make a benchmark lie. */
export function parseFaults(partial: unknown): Partial<LimitedScimAppFaults> {
  const parsed = Faults.partial().safeParse(partial);
  // An option left undefined (`{ latencyMs: undefined }`) keeps the current value instead of erasing it.
  if (parsed.success) return Object.fromEntries(Object.entries(parsed.data).filter(([, value]) => value !== undefined));
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'faults'}: ${issue.message}`);
  throw new Error(`Invalid faults: ${problems.join('; ')}`);
}

/**
 * Whether this performed write loses its answer, counting `times` down; the fault clears itself when the count is spent.
 * Returns how to lose it, or undefined to answer normally.
 */
export function takeLostAnswer(faults: LimitedScimAppFaults, write: WriteKind): LoseAnswerFault['how'] | undefined {
  const fault = faults.loseAnswer;
  if (fault === false || (fault.on !== 'write' && fault.on !== write)) return undefined;
  if (fault.times !== 'always') faults.loseAnswer = fault.times > 1 ? { ...fault, times: fault.times - 1 } : false;
  return fault.how;
}

/** Whether a flapping app is in its down phase `elapsedMs` after its first request under the fault (it starts down). */
export function flapIsDown(flap: FlapFault, elapsedMs: number): boolean {
  return flap !== false && elapsedMs % (flap.upMs + flap.downMs) < flap.downMs;
}
