// connectors/scim-set.ts: webhook events as SCIM Security Event Tokens (RFC 9967 over RFC 8417), signed ES256 (JWS).
import crypto from 'node:crypto';
import { CompactSign, importPKCS8 } from 'jose';
import { z } from 'zod';
import type { AccountSpec, RemoteAccount } from './connector';

/** The signing settings of a `--format scim-set` webhook app (the private key is sealed at rest). */
export const SetSigningSchema = z.object({
  /** `iss` of every SET: the receiver checks it. */
  issuer: z.string().min(1),
  /** `aud` of every SET: the receiver checks it (the endpoint's URL unless set). */
  audience: z.string().min(1),
  /** PKCS#8 PEM of the P-256 key that signs (ES256). */
  privateKey: z.string().min(1),
  kid: z.string().min(1),
  /** The public key before the last rotation: still published in the JWKS until `previousUntil`. */
  previousPublicJwk: z.record(z.string(), z.unknown()).optional(),
  previousUntil: z.string().datetime().optional(),
});
export type SetSigning = z.output<typeof SetSigningSchema>;

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PROV = 'urn:ietf:params:scim:event:prov';

/** RFC 7638 thumbprint of a public EC JWK: the key's id. */
function thumbprint(jwk: crypto.JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return crypto.createHash('sha256').update(canonical).digest('base64url');
}

/** A new ES256 signing key: PKCS#8 PEM and its key id. */
export function newSetKey(): { privateKey: string; kid: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    kid: thumbprint(publicKey.export({ format: 'jwk' })),
  };
}

/** The public JWK of a signing key, as receivers fetch it. */
export function publicJwk(privateKeyPem: string, kid: string): Record<string, unknown> {
  const jwk = crypto.createPublicKey(privateKeyPem).export({ format: 'jwk' });
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, use: 'sig', alg: 'ES256' };
}

/** The keys a receiver may see signatures from now: the current one, and the previous one during its overlap. */
export function setJwks(signing: SetSigning, now: Date): { keys: Record<string, unknown>[] } {
  const keys = [publicJwk(signing.privateKey, signing.kid)];
  const { previousPublicJwk, previousUntil } = signing;
  if (previousPublicJwk && previousUntil && Date.parse(previousUntil) > now.getTime()) keys.push(previousPublicJwk);
  return { keys };
}

/** A new key; the old one's public half stays in the JWKS for `overlapMs` (SETs already sent still verify). */
export function rotatedSetSigning(signing: SetSigning, overlapMs: number, now = new Date()): SetSigning {
  const { previousPublicJwk: _p, previousUntil: _u, ...kept } = signing;
  const fresh = { ...kept, ...newSetKey() };
  if (overlapMs <= 0) return fresh;
  return {
    ...fresh,
    previousPublicJwk: publicJwk(signing.privateKey, signing.kid),
    previousUntil: new Date(now.getTime() + overlapMs).toISOString(),
  };
}

export interface SetEventInput {
  type: string;
  eventId: string;
  /** `<directory>.<directory seq>`: the directory change behind the event (one transaction, maybe several SETs). */
  txn: string | undefined;
  sequence: number;
  createdAt: string;
  account: RemoteAccount & { attributes?: AccountSpec };
  entitlement?: string;
  previous?: Record<string, unknown>;
  /** The entitlements the app holds for the account, for a `put:full` (a full representation replaces them). */
  held?: string[];
  /** scimflow's own facts (RFC 7519 private claim `scimflow`): directory, identity, app, type, source. */
  scimflow: Record<string, unknown>;
}

/** The account as a SCIM User (`data` of a `full` event): the id is the account's id in the receiving app. */
function userResource(account: SetEventInput['account'], held?: string[]): Record<string, unknown> {
  const { attributes, ...known } = account;
  const entitlements = held ? { entitlements: held.map((value) => ({ value })) } : {};
  return { schemas: [USER_SCHEMA], ...attributes, ...known, ...entitlements };
}

const patch = (operation: Record<string, unknown>) => ({ schemas: [PATCH_SCHEMA], Operations: [operation] });

/**
 * The `events` claim (RFC 9967 §2.4): created → `prov:create:full`; updated → `prov:put:full` (and `prov:activate` in
 * the same SET when it enables the account again); disabled → `prov:deactivate`; deleted → `prov:delete`; an
 * entitlement granted or revoked → `prov:patch:full` with a PatchOp on the User's `entitlements`. `version` is the
 * account's sequence as a weak ETag.
 */
function eventsClaim(e: SetEventInput): Record<string, Record<string, unknown>> {
  const version = `W/"${e.sequence}"`;
  const value = e.entitlement ?? '';
  switch (e.type) {
    case 'account.created':
      return { [`${PROV}:create:full`]: { version, data: userResource(e.account) } };
    case 'account.updated': {
      const put = { [`${PROV}:put:full`]: { version, data: userResource(e.account, e.held ?? []) } };
      return e.previous?.active === false && e.account.active ? { ...put, [`${PROV}:activate`]: {} } : put;
    }
    case 'account.disabled':
      return { [`${PROV}:deactivate`]: {} };
    case 'account.deleted':
      return { [`${PROV}:delete`]: {} };
    case 'entitlement.granted':
      return {
        [`${PROV}:patch:full`]: { version, data: patch({ op: 'add', path: 'entitlements', value: [{ value }] }) },
      };
    case 'entitlement.revoked':
      return {
        [`${PROV}:patch:full`]: {
          version,
          data: patch({ op: 'remove', path: `entitlements[value eq ${JSON.stringify(value)}]` }),
        },
      };
    default:
      throw new Error(`no SCIM event for ${e.type}`);
  }
}

/** What every SET says besides its events: issuer, audience, time, id, transaction and subject. */
export interface SetEnvelope {
  createdAt: string;
  eventId: string;
  txn: string | undefined;
  /** `/Users` or `/Groups`, and the resource's id and externalId. */
  endpoint: '/Users' | '/Groups';
  id: string;
  externalId?: string;
}

/** A SET's claims (RFC 8417 §2.2, RFC 9967 §2.1–2.2): built once per event, signed at each attempt. */
export function setEnvelope(
  e: SetEnvelope,
  signing: Pick<SetSigning, 'issuer' | 'audience'>,
  events: Record<string, Record<string, unknown>>,
  scimflow: Record<string, unknown>,
): Record<string, unknown> {
  const { id, externalId } = e;
  return {
    iss: signing.issuer,
    aud: signing.audience,
    iat: Math.floor(Date.parse(e.createdAt) / 1000),
    jti: e.eventId,
    ...(e.txn ? { txn: e.txn } : {}),
    sub_id: { format: 'scim', uri: `${e.endpoint}/${id}`, id, ...(externalId ? { externalId } : {}) },
    events,
    scimflow,
  };
}

/** The SET of an account event. */
export function setClaims(e: SetEventInput, signing: Pick<SetSigning, 'issuer' | 'audience'>): Record<string, unknown> {
  const { id, externalId } = e.account;
  const envelope = { ...e, endpoint: '/Users' as const, id, ...(externalId ? { externalId } : {}) };
  return setEnvelope(envelope, signing, eventsClaim(e), { ...e.scimflow, sequence: e.sequence });
}

/** Imported signing keys by PEM (a key is imported once per process, not per event). */
const imported = new Map<string, ReturnType<typeof importPKCS8>>();

/** The JWS compact serialization of the claims as stored (`typ: secevent+jwt`, RFC 8417 §2.3). */
export async function signSet(claimsJson: string, signing: SetSigning): Promise<string> {
  let key = imported.get(signing.privateKey);
  if (!key) {
    if (imported.size >= 64) imported.clear();
    key = importPKCS8(signing.privateKey, 'ES256');
    imported.set(signing.privateKey, key);
  }
  return new CompactSign(new TextEncoder().encode(claimsJson))
    .setProtectedHeader({ alg: 'ES256', kid: signing.kid, typ: 'secevent+jwt' })
    .sign(await key);
}

/** RFC 8935 §2.3: a 400's `{err, description}`, as one line for the delivery's record. */
export function setErrorOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { err?: unknown; description?: unknown };
    if (typeof body.err !== 'string') return undefined;
    return typeof body.description === 'string' ? `${body.err}: ${body.description}` : body.err;
  } catch {
    return undefined;
  }
}
