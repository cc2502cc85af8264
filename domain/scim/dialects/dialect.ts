// domain/scim/dialects/dialect.ts: the IdP dialects scimflow speaks, how a request is attributed to one, and its hooks.
import { z } from 'zod';
import { entra } from './entra';
import { generic } from './generic';
import { google } from './google';
import { jumpcloud } from './jumpcloud';
import { onelogin } from './onelogin';
import { okta } from './okta';
import { ping } from './ping';
import { rippling } from './rippling';

export const DIALECTS = ['entra', 'okta', 'onelogin', 'google', 'jumpcloud', 'ping', 'rippling', 'generic'] as const;
export const DialectNameSchema = z.enum(DIALECTS);
export type DialectName = z.infer<typeof DialectNameSchema>;

/** The attribute a value is about to be stored under: canonical schema URN and canonical attribute name. */
export interface ValueTarget {
  schemaId: string;
  attribute: string;
}

/**
 * What differs between IdPs once the engine's RFC-level leniency (DIALECTS.md §0: op case, string booleans,
 * path-keyed value objects, manager shapes, legacy member removal, echoed read-only values) is in place.
 * Most IdPs cannot be recognised on the wire, so `generic` applies every value rewrite that is safe for anyone.
 */
export interface Dialect {
  name: DialectName;
  /** Matches this IdP's User-Agent; absent when the IdP sends none that is distinctive. */
  userAgent?: RegExp;
  /**
   * Rewrites one attribute value (a whole POST/PUT attribute, a no-path PATCH key or a PATCH op value) before the
   * schema type check. Returns the value unchanged when the quirk does not apply.
   */
  rewriteValue(target: ValueTarget, value: unknown): unknown;
}

const BY_NAME: Record<DialectName, Dialect> = { entra, okta, onelogin, google, jumpcloud, ping, rippling, generic };

export function dialectFor(name: DialectName): Dialect {
  return BY_NAME[name];
}

/**
 * The dialect a User-Agent identifies, only where that is unambiguous. PingFederate sends a bare
 * `Apache-HttpClient/x` (DIALECTS.md §6), which any Java client does too, so it maps to nothing.
 */
export function detectDialect(userAgent: string | undefined): DialectName | undefined {
  if (!userAgent) return undefined;
  for (const name of DIALECTS) {
    if (BY_NAME[name].userAgent?.test(userAgent)) return name;
  }
  return undefined;
}
