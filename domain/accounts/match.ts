// domain/accounts/match.ts: which app account belongs to an identity: the documented match order, never a guess.

/**
 * The order in which an app account is matched to an identity (docs/lifecycle.md, "Finding an identity's account"):
 * 1. the app id scimflow recorded for this identity and app;
 * 2. externalId (the IdP's stable key), when the identity has one;
 * 3. userName (compared case-insensitively, as SCIM does).
 * Email alone never matches: two people can share a mailbox, and an app may not keep emails unique.
 */
export const MATCH_ORDER = ['id', 'externalId', 'userName'] as const;
export type MatchedBy = (typeof MATCH_ORDER)[number];

export interface Candidate {
  id: string;
}

export type AccountMatch<T extends Candidate> =
  | { kind: 'found'; account: T; by: MatchedBy }
  | { kind: 'ambiguous'; by: MatchedBy; candidates: T[] }
  | { kind: 'none' };

/**
 * Decides one stage of the match order from the accounts the app returned for it. Accounts that scimflow records as
 * another identity's are never this identity's (a rehire's new identity and its predecessor share a userName).
 * `undefined` means: nothing at this stage, ask the next one.
 */
export function matchStage<T extends Candidate>(
  by: MatchedBy,
  candidates: readonly T[],
  claimedByOther: (id: string) => boolean,
): AccountMatch<T> | undefined {
  const unique = [...new Map(candidates.map((c) => [c.id, c])).values()];
  const own = unique.filter((c) => !claimedByOther(c.id));
  if (own.length === 1) return { kind: 'found', account: own[0]!, by };
  if (own.length > 1) return { kind: 'ambiguous', by, candidates: own };
  return undefined;
}

/** The operator-facing sentence for an ambiguous match (an exception, never a guess). */
export function describeAmbiguity(match: { by: MatchedBy; candidates: readonly Candidate[] }): string {
  const ids = match.candidates.map((c) => c.id);
  const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? `, … (${ids.length} in all)` : '');
  return `${ids.length} app accounts match by ${match.by} (${shown}); scimflow will not guess which one is this identity's`;
}
