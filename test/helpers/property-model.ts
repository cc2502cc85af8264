// test/helpers/property-model.ts: the random IdP traffic of the convergence property (commands, messy delivery, settings).
import fc from 'fast-check';

export const GROUPS = ['eng', 'ops'] as const;
export type GroupName = (typeof GROUPS)[number];
export const DEPARTMENTS = ['Sales', 'Engineering', 'Support'] as const;
export type Department = (typeof DEPARTMENTS)[number];
export const MAX_USERS = 4;

/**
 * A create takes the next user slot not yet created (once all exist: a deleted one, re-created under the same userName);
 * every other command picks its user by `target` among the live users when its burst starts (modulo their number), so
 * few commands are wasted on users that are not there.
 */
export type UserCommand =
  | { kind: 'create'; department: Department; active: boolean }
  | { kind: 'displayName'; target: number; value: string }
  | { kind: 'givenName'; target: number; value: string }
  | { kind: 'department'; target: number; value: Department }
  | { kind: 'join'; target: number; group: GroupName }
  | { kind: 'leave'; target: number; group: GroupName }
  | { kind: 'deactivate'; target: number }
  | { kind: 'reactivate'; target: number }
  | { kind: 'delete'; target: number };

/** One command as the IdP delivers it: maybe twice, maybe concurrently with its predecessor, maybe after a worker restart. */
export interface Delivery {
  command: UserCommand;
  /** The request is sent twice at once (an IdP retry after a lost response). */
  duplicate: boolean;
  /** Sent concurrently with the previous delivery (a burst is at most 3 deliveries). */
  withPrevious: boolean;
  /** The worker is stopped and started again before this delivery. */
  restartWorkerBefore: boolean;
  /** Pause after the burst this delivery ends, so convergence interleaves with later changes. */
  pauseAfterMs: number;
}

export interface Scenario {
  users: number;
  deliveries: Delivery[];
}

export interface PropertySettings {
  numRuns: number;
  maxCommands: number;
  /** Runs of the property with the limited SCIM app (each starts the app and waits out its outages). */
  scimRuns: number;
  seed?: number;
  path?: string;
  /** Shrinking repeats whole live runs; CI reports the seed instead and a developer shrinks locally. */
  shrink: boolean;
}

const positiveInt = (raw: string | undefined, fallback: number): number => {
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

/**
 * CI runs a few short sequences; PROPERTY_RUNS/PROPERTY_SCIM_RUNS/PROPERTY_COMMANDS/PROPERTY_SEED/PROPERTY_PATH/PROPERTY_SHRINK
 * widen it locally, and PROPERTY_HISTORIES=<dir> keeps a failed run's workflow histories (property-runs.ts).
 */
export function propertySettings(env: Record<string, string | undefined>): PropertySettings {
  const seed = env.PROPERTY_SEED === undefined ? undefined : Number(env.PROPERTY_SEED);
  return {
    numRuns: positiveInt(env.PROPERTY_RUNS, 6),
    maxCommands: positiveInt(env.PROPERTY_COMMANDS, 15),
    scimRuns: positiveInt(env.PROPERTY_SCIM_RUNS, 6),
    ...(seed !== undefined && Number.isInteger(seed) ? { seed } : {}),
    ...(env.PROPERTY_PATH ? { path: env.PROPERTY_PATH } : {}),
    shrink: env.PROPERTY_SHRINK === '1' || env.PROPERTY_SHRINK === 'true',
  };
}

function createArb(): fc.Arbitrary<UserCommand> {
  const active = fc.integer({ min: 0, max: 3 }).map((n) => n > 0);
  return fc.record({ kind: fc.constant('create' as const), department: fc.constantFrom(...DEPARTMENTS), active });
}

function commandArb(): fc.Arbitrary<UserCommand> {
  const target = fc.integer({ min: 0, max: MAX_USERS - 1 });
  const group = fc.constantFrom(...GROUPS);
  const department = fc.constantFrom(...DEPARTMENTS);
  return fc.oneof(
    { weight: 4, arbitrary: createArb() },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('displayName' as const),
        target,
        value: fc.constantFrom('Ada', 'Grace', 'Hedy'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('givenName' as const),
        target,
        value: fc.constantFrom('Alan', 'Barbara'),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('department' as const), target, value: department }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('join' as const), target, group }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('leave' as const), target, group }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('deactivate' as const), target }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('reactivate' as const), target }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), target }) },
  );
}

/** `minCommands` keeps a run from being over before it starts (fast-check's first runs are tiny otherwise). */
export function scenarioArb(maxCommands: number, minCommands = 1): fc.Arbitrary<Scenario> {
  const rest = Math.max(0, maxCommands - 1);
  const delivery = (command: fc.Arbitrary<UserCommand>) =>
    fc.record({
      command,
      duplicate: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
      withPrevious: fc.integer({ min: 0, max: 2 }).map((n) => n === 0),
      restartWorkerBefore: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      pauseAfterMs: fc.constantFrom(0, 0, 50, 400),
    });
  // The IdP's first push creates a user; without it every command before the first create would have no one to act on.
  return fc.record({
    users: fc.integer({ min: 2, max: MAX_USERS }),
    deliveries: fc
      .tuple(
        delivery(createArb()),
        fc.array(delivery(commandArb()), {
          minLength: Math.min(rest, Math.max(0, minCommands - 1)),
          maxLength: rest,
          size: 'max',
        }),
      )
      .map(([first, rest]) => [first, ...rest]),
  });
}

/** Groups deliveries into bursts: a burst ends at a restart, after 3 deliveries, or where the next one is not concurrent. */
export function bursts(
  deliveries: Delivery[],
): { restartWorkerBefore: boolean; deliveries: Delivery[]; pauseAfterMs: number }[] {
  const out: { restartWorkerBefore: boolean; deliveries: Delivery[]; pauseAfterMs: number }[] = [];
  for (const d of deliveries) {
    const last = out[out.length - 1];
    if (last && d.withPrevious && !d.restartWorkerBefore && last.deliveries.length < 3) {
      last.deliveries.push(d);
      last.pauseAfterMs = d.pauseAfterMs;
    } else out.push({ restartWorkerBefore: d.restartWorkerBefore, deliveries: [d], pauseAfterMs: d.pauseAfterMs });
  }
  return out;
}
