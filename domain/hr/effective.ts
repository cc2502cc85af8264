// domain/hr/effective.ts: pure: an HR effective date-time (with an offset, or a local time in an IANA zone) → UTC.

/** RFC 3339 date-time with `Z` or a numeric offset (seconds and fractions optional). */
const WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/;
/** The same without an offset: a wall-clock time, meaningful only with a time zone. */
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;

export class EffectiveTimeError extends Error {}

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

type DateParts = [year: number, month: number, day: number, hour: number, minute: number, second: number];

function checkedParts(match: RegExpExecArray): DateParts {
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((v) => Number(v ?? 0)) as DateParts;
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    probe.getUTCFullYear() !== year ||
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    throw new EffectiveTimeError(`not a valid date-time: ${match[0]}`);
  return [year, month, day, hour, minute, second];
}

/** Offset of `zone` from UTC at the instant `utcMs`, in milliseconds. */
function zoneOffsetMs(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The UTC instant of an effective date-time. With an offset (`Z`, `+01:00`) it is exact; a local time needs `timeZone`
 * (IANA, e.g. `Europe/Paris`). A local time skipped by a daylight-saving jump is moved forward by the gap; one that
 * occurs twice is taken the first time (the earlier instant: access goes sooner, never later).
 */
export function parseEffective(value: string, timeZone?: string): Date {
  const exact = WITH_OFFSET.exec(value);
  if (exact) {
    checkedParts(exact);
    const offset = exact[8]!;
    if (offset !== 'Z' && offset !== 'z') {
      const [h, m] = offset.slice(1).split(':').map(Number) as [number, number];
      if (h > 23 || m > 59) throw new EffectiveTimeError(`not a valid UTC offset: ${offset}`);
    }
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new EffectiveTimeError(`not a valid date-time: ${value}`);
    return date;
  }
  const local = LOCAL.exec(value);
  if (!local)
    throw new EffectiveTimeError(
      `effective time must be RFC 3339 with Z or an offset (2026-12-31T17:00:00+01:00), or a local time with a time zone; got ${JSON.stringify(value).slice(0, 80)}`,
    );
  if (!timeZone)
    throw new EffectiveTimeError(`effective time ${value} has no offset: give Z, an offset, or a timeZone`);
  if (!isTimeZone(timeZone)) throw new EffectiveTimeError(`unknown time zone: ${timeZone}`);
  const [year, month, day, hour, minute, second] = checkedParts(local);
  const fraction = local[7] ? Math.round(Number(local[7]) * 1000) : 0;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second) + fraction;
  // Two passes find the offset in force at that wall time (the guess's offset may be the other side of a transition).
  const candidates = new Set<number>();
  for (const guess of [wall - zoneOffsetMs(timeZone, wall), wall - zoneOffsetMs(timeZone, wall - 86_400_000)]) {
    const exactInstant = wall - zoneOffsetMs(timeZone, guess);
    if (exactInstant + zoneOffsetMs(timeZone, exactInstant) === wall) candidates.add(exactInstant);
  }
  if (candidates.size > 0) return new Date(Math.min(...candidates));
  // In a gap (clocks jumped forward): shifted forward by the gap, read with the offset before the jump (02:30 in
  // Paris on the spring change is 03:30 summer time), as JavaScript's Temporal 'compatible' disambiguation does.
  return new Date(wall - zoneOffsetMs(timeZone, wall - 86_400_000));
}
