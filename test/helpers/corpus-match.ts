// test/helpers/corpus-match.ts: the corpus README's matching rules (partial body, bodyNot, header contains), as problem lists.
import type { RawResponse } from './raw-http';

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

export function describeBody(response: Pick<RawResponse, 'isJson' | 'json' | 'text'>): string {
  if (response.isJson) return JSON.stringify(response.json);
  return response.text === '' ? '(empty)' : `(not JSON) ${response.text}`;
}

/** README rule 7 on a whole response: `{}` only asks for JSON; the top-level error `status` is never compared. */
export function matchPartial(
  expected: unknown,
  response: Pick<RawResponse, 'isJson' | 'json' | 'text'>,
  topLevel = true,
): string[] {
  if (!response.isJson) return [`expected a JSON body, got ${describeBody(response)}`];
  if (isObject(expected) && Object.keys(expected).length === 0) return [];
  return matchValue(expected, response.json, '$', topLevel);
}

/** Objects match on the listed keys, scalars by equality, arrays by a one-to-one assignment of expected to actual elements. */
export function matchValue(expected: unknown, actual: unknown, at: string, topLevel = false): string[] {
  if (isObject(expected)) {
    if (!isObject(actual)) return [`${at}: expected an object, got ${show(actual)}`];
    const problems: string[] = [];
    for (const [key, value] of Object.entries(expected)) {
      if (topLevel && key === 'status') continue; // README rule 7: string vs number differs between servers
      if (!(key in actual)) problems.push(`${at}.${key} is missing (expected ${show(value)})`);
      else problems.push(...matchValue(value, actual[key], `${at}.${key}`));
    }
    return problems;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${show(actual)}`];
    return matchArray(expected, actual, at);
  }
  return expected === actual ? [] : [`${at}: expected ${show(expected)}, got ${show(actual)}`];
}

function matchArray(expected: unknown[], actual: unknown[], at: string): string[] {
  const fits = expected.map((e, i) =>
    actual.flatMap((a, j) => (matchValue(e, a, `${at}[${i}]`).length === 0 ? [j] : [])),
  );
  const unmatched = fits.flatMap((candidates, i) => (candidates.length === 0 ? [i] : []));
  if (unmatched.length > 0)
    return unmatched.map(
      (i) => `${at}: no element matches expected ${show(expected[i])} (actual has ${actual.length} element(s))`,
    );
  // Kuhn's augmenting paths: each expected element needs its own actual element.
  const owner = new Map<number, number>();
  const assign = (i: number, seen: Set<number>): boolean => {
    for (const j of fits[i]!) {
      if (seen.has(j)) continue;
      seen.add(j);
      const previous = owner.get(j);
      if (previous === undefined || assign(previous, seen)) {
        owner.set(j, i);
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < expected.length; i += 1)
    if (!assign(i, new Set()))
      return [`${at}: the ${expected.length} expected elements cannot each match a distinct actual element`];
  return [];
}

/** README rule 8: null → key absent; array → no listed element matches any actual element; scalar → not that value. */
export function matchBodyNot(forbidden: unknown, actual: unknown, at: string): string[] {
  if (!isObject(forbidden) || !isObject(actual)) return [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(forbidden)) {
    const here = `${at}.${key}`;
    const present = key in actual;
    if (value === null) {
      if (present) problems.push(`${here} must be absent, got ${show(actual[key])}`);
    } else if (Array.isArray(value)) {
      const list = actual[key];
      if (!Array.isArray(list)) continue;
      for (const bad of value)
        list.forEach((element, j) => {
          if (matchValue(bad, element, here).length === 0)
            problems.push(`${here}[${j}] is ${show(element)}, which matches the forbidden ${show(bad)}`);
        });
    } else if (isObject(value)) {
      problems.push(...matchBodyNot(value, actual[key], here));
    } else if (present && actual[key] === value) {
      problems.push(`${here} must not be ${show(value)}`);
    }
  }
  return problems;
}

/** README rule 9: header names case-insensitive; the actual value must contain the expected text. */
export function matchHeaders(expected: Record<string, string>, actual: Record<string, string>): string[] {
  return Object.entries(expected).flatMap(([name, value]) => {
    const got = actual[name.toLowerCase()];
    if (got === undefined) return [`header ${name} is missing (expected it to contain ${show(value)})`];
    return got.includes(value) ? [] : [`header ${name} is ${show(got)}; expected it to contain ${show(value)}`];
  });
}
