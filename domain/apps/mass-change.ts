// domain/apps/mass-change.ts: the mass-change guard (like Entra's accidental-deletion threshold), pure.

/** Trips when a change would disable or delete at least `minimum` accounts and more than `share` of an app's accounts. */
export interface MassChangeGuard {
  share: number;
  minimum: number;
}

export const DEFAULT_GUARD: MassChangeGuard = { share: 0.2, minimum: 10 };
export const DEFAULT_GUARD_TEXT = '20%';

/** `N%` (1–100) or `off`; throws a one-line message otherwise. */
export function parseGuard(text: string): MassChangeGuard | null {
  if (text === 'off') return null;
  const match = /^(\d{1,3})%$/.exec(text);
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent >= 1 && percent <= 100))
    throw new Error(`--mass-change-guard must be a share like 20% (1% to 100%), or off: ${text}`);
  return { ...DEFAULT_GUARD, share: percent / 100 };
}

/** The guard an app's settings name (its `massChangeGuard`, default 20%). */
export function guardOf(config: Record<string, unknown>): MassChangeGuard | null {
  const text = typeof config.massChangeGuard === 'string' ? config.massChangeGuard : DEFAULT_GUARD_TEXT;
  try {
    return parseGuard(text);
  } catch {
    return DEFAULT_GUARD;
  }
}

export function trips(guard: MassChangeGuard | null, affected: number, total: number): boolean {
  return guard !== null && affected >= guard.minimum && affected > guard.share * total;
}

/** One sentence for the operator. */
export function describeTrip(what: string, app: string, affected: number, total: number, guard: MassChangeGuard) {
  return `${what} would disable or delete ${affected} of ${total} accounts in app ${app}, more than its mass-change guard (${Math.round(guard.share * 100)}%)`;
}
