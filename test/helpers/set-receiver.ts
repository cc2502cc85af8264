// test/helpers/set-receiver.ts: a real HTTP Security Event Token receiver written from the RFCs alone, not from any
// sender code: push delivery (RFC 8935), SETs (RFC 8417), the SCIM profile (RFC 9967, final draft 16), "sub_id"
// (RFC 9493) and SCIM PATCH (RFC 7644 §3.5.2). It verifies each SET with `jose`, applies each jti once to its own
// table of SCIM Users, lists every MUST a SET broke, and can be made to refuse.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';

export interface SetReceiverOptions {
  /** Where the transmitter's public keys are: a JWKS URL (fetched with jose createRemoteJWKSet; refetch on unknown kid) or a JWKS object. */
  jwks: string | { keys: object[] };
  issuer: string; // expected `iss`
  audience: string; // expected `aud` (string or contained in the array)
  bearerToken?: string; // if set, require `Authorization: Bearer <token>` (RFC 8935 authentication)
}
export interface ReceivedSet {
  status: number; // what the receiver answered
  err?: string; // RFC 8935 error code if it answered 400 (invalid_request, invalid_key, invalid_issuer, invalid_audience, authentication_failed, access_denied)
  description?: string;
  jti?: string;
  claims?: Record<string, unknown>; // the verified claims
  duplicate: boolean; // a jti already accepted before
}
export interface ReceiverUser {
  // the receiver's own table of SCIM User resources, keyed by sub_id.uri
  uri: string;
  resource: Record<string, unknown>; // the current representation (from create/put full data, patched by patch:full)
  active: boolean;
  deleted: boolean;
  lastTxn?: string;
}
export interface SetReceiver {
  url: string; // the push endpoint
  received: ReceivedSet[]; // every POST in arrival order
  applied: string[]; // jti values applied, in order, each once
  users: Map<string, ReceiverUser>; // by sub_id.uri
  violations: string[]; // RFC MUST/SHALL rules the incoming SETs broke (each also answered 400 invalid_request)
  /** 'ok' (normal), or answer every SET with this status (e.g. 503 with Retry-After, or 400 with an err code) without applying it. */
  setMode(mode: 'ok' | { status: number; retryAfter?: number; err?: string }): void;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;
type Mode = Parameters<SetReceiver['setMode']>[0];
type PatchVerb = 'add' | 'remove' | 'replace';

/** How one POST is answered; `violations` are the MUST rules broken, `headers` extra response headers. */
interface Answer {
  status: number;
  err?: string;
  description?: string;
  violations?: string[];
  headers?: Record<string, string>;
}
interface Verified {
  claims: Json;
  typ?: string;
}
interface Outcome {
  answer: Answer;
  jti?: string;
  claims?: Json;
  duplicate?: boolean;
}
/** A PATCH "path" (RFC 7644 §3.5.2 ABNF: attrPath / valuePath [subAttr]), with its schema URN prefix if any. */
interface AttributePath {
  urn?: string;
  attr: string;
  sub?: string;
  filter?: string;
}

const SCIM_EVENT = 'urn:ietf:params:scim:event:';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const CORE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:';
/** RFC 9967 §7.4: the SCIM Event URIs registered, without the common prefix. */
const REGISTERED_EVENTS = new Set([
  'feed:add',
  'feed:remove',
  'prov:create:notice',
  'prov:create:full',
  'prov:patch:notice',
  'prov:patch:full',
  'prov:put:notice',
  'prov:put:full',
  'prov:delete',
  'prov:activate',
  'prov:deactivate',
  'misc:asyncresp',
]);
/** RFC 9967 §2.4: events whose payload is exactly one of "data" (URI ends ":full") or "attributes" (":notice"). */
const PAYLOAD_EVENTS = ['prov:create', 'prov:patch', 'prov:put'];
/** RFC 9967 §2.4.4-§2.4.6 and §7.4: events with no payload and no "full"/"notice" qualifier. */
const BARE_EVENTS = ['prov:delete', 'prov:activate', 'prov:deactivate'];
/**
 * The events of one SET are one transaction for one subject (RFC 9967 §2.1, RFC 8417 §2); this receiver applies them
 * in this order: the new representation, then the patch, then the activation state, then the deletion.
 */
const APPLY_ORDER = [
  'prov:create:full',
  'prov:put:full',
  'prov:patch:full',
  'prov:activate',
  'prov:deactivate',
  'prov:delete',
];
/**
 * Asymmetric JWS algorithms only (RFC 7518 §3.1, RFC 8037): the keys are the transmitter's published JWKS, so an HMAC
 * key in it could not be secret and would not authenticate the issuer (RFC 8417 §5.1, RFC 9967 §5); "none" is refused.
 */
const ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
];
/** RFC 7643 §2.1: ATTRNAME = ALPHA *(nameChar), plus "$ref". */
const ATTR = String.raw`\$?[A-Za-z][\w-]*`;
const PATH = new RegExp(String.raw`^(?:(urn:[^[\]"]+):)?(${ATTR})(?:\.(${ATTR})|\[([^\]]+)\](?:\.(${ATTR}))?)?$`);
/** The one filter this receiver understands: `attr eq compValue` (RFC 7644 §3.4.2.2), no "and"/"or"/"not". */
const EQ_FILTER = new RegExp(String.raw`^\s*(${ATTR})\s+eq\s+(.+?)\s*$`, 'i');

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');
const rule = (broken: boolean, text: string): string[] => (broken ? [text] : []);

export async function startSetReceiver(options: SetReceiverOptions): Promise<SetReceiver> {
  let mode: Mode = 'ok';
  const keys = keySource(options.jwks);
  /** The claims of each accepted jti, to tell a retransmission from a reused jti (RFC 8417 §2.2). */
  const accepted = new Map<string, string>();
  const receiver: Omit<SetReceiver, 'url' | 'stop'> = {
    received: [],
    applied: [],
    users: new Map(),
    violations: [],
    setMode: (m) => (mode = m),
  };

  const judge = ({ claims, typ }: Verified): Outcome => {
    const jti = typeof claims.jti === 'string' ? claims.jti : undefined;
    const seen = jti === undefined ? undefined : accepted.get(jti);
    const broken = [
      ...setViolations(claims),
      ...rule(
        seen !== undefined && seen !== fingerprint(claims),
        '"jti" MUST be unique (RFC 8417 §2.2): reused for another SET',
      ),
      ...(seen === undefined ? feedRemoveViolations(claims, receiver.users) : []),
    ];
    if (broken.length > 0) return { answer: invalidRequest(broken, true), jti, claims };
    const unsupported = unsupportedFeatures(claims, typ);
    if (unsupported.length > 0) return { answer: invalidRequest(unsupported, false), jti, claims };
    // RFC 8935 §2: a SET sent again is answered as if it were new (202), and applied once.
    if (seen === undefined) {
      applySet(receiver.users, claims);
      receiver.applied.push(jti!);
      accepted.set(jti!, fingerprint(claims));
    }
    return { answer: { status: 202 }, jti, claims, duplicate: seen !== undefined };
  };

  const receive = async (headers: http.IncomingHttpHeaders, body: string): Promise<Outcome> => {
    const early =
      modeRefusal(mode) ?? authRefusal(headers.authorization, options.bearerToken) ?? requestRefusal(headers);
    if (early) return { answer: early, jti: claimedJti(body) };
    const verified = await verify(body, keys, options);
    return 'status' in verified ? { answer: verified, jti: claimedJti(body) } : judge(verified);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
      const record: ReceivedSet = { status: 0, duplicate: false };
      receiver.received.push(record); // arrival order, whatever order verification ends in
      receive(req.headers, Buffer.concat(chunks).toString('utf8'))
        .then(({ answer, jti, claims, duplicate }) => {
          const { status, err, description, violations = [] } = answer;
          const known = Object.entries({ status, err, description, jti, claims }).filter(([, v]) => v !== undefined);
          Object.assign(record, Object.fromEntries(known), { duplicate: duplicate ?? false });
          receiver.violations.push(...violations.map((v) => `${jti ?? 'SET without a jti'}: ${v}`));
          respond(res, answer);
        })
        .catch(() => {
          record.status = 500;
          res.writeHead(500).end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...receiver,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A JWKS URL is fetched again as soon as a SET names a kid it lacks (no cooldown), so key rotation is followed at once. */
function keySource(jwks: SetReceiverOptions['jwks']): JWTVerifyGetKey {
  return typeof jwks === 'string'
    ? createRemoteJWKSet(new URL(jwks), { cooldownDuration: 0 })
    : createLocalJWKSet(jwks);
}

// ---- RFC 8935: the HTTP exchange

/** RFC 8935 §2.2: 202 with an empty body; §2.3: 400 as application/json {err, description} with a Content-Language. */
function respond(res: http.ServerResponse, answer: Answer): void {
  if (answer.status !== 400) return void res.writeHead(answer.status, answer.headers).end();
  const body = JSON.stringify({ err: answer.err, description: answer.description });
  res.writeHead(400, { ...answer.headers, 'content-type': 'application/json', 'content-language': 'en' }).end(body);
}

function modeRefusal(mode: Mode): Answer | undefined {
  if (mode === 'ok') return undefined;
  const headers = mode.retryAfter === undefined ? undefined : { 'retry-after': String(mode.retryAfter) };
  const description = 'the receiver is set to refuse every SET';
  return mode.status === 400
    ? { status: 400, err: mode.err ?? 'invalid_request', description, headers }
    : { status: mode.status, description, headers };
}

/**
 * RFC 8935 §3: standard HTTP authentication (RFC 7235). A request with no credentials gets the 401 challenge of
 * RFC 7235 §3.1 / RFC 6750 §3 (a general HTTP error, RFC 8935 §2.3); credentials that fail get 400
 * "authentication_failed", as RFC 8935 §2.3 Figure 4 answers an expired access token.
 */
function authRefusal(authorization: string | undefined, token: string | undefined): Answer | undefined {
  if (token === undefined) return undefined;
  if (!authorization) return { status: 401, description: 'no credentials', headers: { 'www-authenticate': 'Bearer' } };
  const [scheme, credentials] = authorization.trim().split(/\s+/);
  if (scheme?.toLowerCase() === 'bearer' && credentials === token) return undefined; // scheme is case-insensitive (RFC 7235 §2.1)
  return {
    status: 400,
    err: 'authentication_failed',
    description: 'the bearer token is not the one this receiver accepts',
  };
}

/** RFC 8935 §2.1: Content-Type MUST be application/secevent+jwt (RFC 8417 §7.2) and Accept MUST be application/json. */
function requestRefusal(headers: http.IncomingHttpHeaders): Answer | undefined {
  const mediaType = (value: string) => value.split(';')[0]!.trim().toLowerCase();
  const contentType = headers['content-type'] ?? '';
  const accepts = (headers.accept ?? '').split(',').map(mediaType);
  const broken = [
    ...rule(
      mediaType(contentType) !== 'application/secevent+jwt',
      `Content-Type "${contentType}" MUST be application/secevent+jwt (RFC 8935 §2.1)`,
    ),
    ...rule(
      !accepts.includes('application/json'),
      `Accept "${headers.accept ?? ''}" MUST be application/json (RFC 8935 §2.1)`,
    ),
  ];
  return broken.length > 0 ? invalidRequest(broken, true) : undefined;
}

function invalidRequest(problems: string[], violations: boolean): Answer {
  return {
    status: 400,
    err: 'invalid_request',
    description: problems.join('; '),
    ...(violations ? { violations: problems } : {}),
  };
}

/** The jti the request claims, unverified: only so that `received` tells refused SETs apart. */
function claimedJti(body: string): string | undefined {
  try {
    return decodeJwt(body).jti;
  } catch {
    return undefined;
  }
}

// ---- RFC 8417 / RFC 7515: verification

/** RFC 8935 §2: the SET parses, is authentic (signed by the issuer's key), names this receiver and a trusted issuer. */
async function verify(body: string, keys: JWTVerifyGetKey, options: SetReceiverOptions): Promise<Verified | Answer> {
  try {
    const { payload, protectedHeader } = await jwtVerify(body, keys, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ALGORITHMS,
    });
    return { claims: payload, typ: protectedHeader.typ };
  } catch (error) {
    return verificationRefusal(error, body);
  }
}

/** RFC 8935 §2.4: the error code for each way verification fails. */
function verificationRefusal(error: unknown, body: string): Answer {
  const refuse = (err: string, description: string): Answer => ({ status: 400, err, description });
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss')
    return error.reason === 'missing'
      ? invalidRequest(['"iss" is REQUIRED (RFC 8417 §2.2)'], true)
      : refuse('invalid_issuer', 'the SET issuer is not one this receiver accepts');
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud')
    return refuse('invalid_audience', 'this receiver is not an audience of the SET');
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refuse(
      'invalid_key',
      `"alg" ${headerAlg(body)} refused: only SETs signed with an asymmetric key are accepted`,
    );
  const keyErrors = [errors.JWSSignatureVerificationFailed, errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys];
  if (keyErrors.some((type) => error instanceof type)) return refuse('invalid_key', (error as Error).message);
  const parseErrors = [errors.JWSInvalid, errors.JWTInvalid, errors.JWTExpired, errors.JWTClaimValidationFailed];
  if ([...parseErrors, errors.JOSENotSupported].some((type) => error instanceof type))
    return refuse('invalid_request', `not a valid signed JWT: ${(error as Error).message}`);
  // The keys could not be had (JWKS fetch failed): a general HTTP error on this side (RFC 8935 §2.3), worth a retry.
  return { status: 503, description: `cannot verify now: ${String(error)}` };
}

function headerAlg(body: string): string {
  try {
    return JSON.stringify(decodeProtectedHeader(body).alg);
  } catch {
    return '(unreadable)';
  }
}

// ---- RFC 8417, RFC 9493, RFC 9967: the MUST rules of a SCIM SET

function setViolations(claims: Json): string[] {
  const events = isObject(claims.events) ? Object.entries(claims.events) : [];
  return [
    ...envelopeViolations(claims),
    ...subjectViolations(claims),
    ...events.flatMap(([uri, payload]) => (isObject(payload) ? eventViolations(uri, payload, claims) : [])),
    ...rule(
      events.some(([uri]) => uri === `${SCIM_EVENT}prov:delete`) &&
        events.some(([uri]) => uri === `${SCIM_EVENT}feed:remove`),
      'with a delete, a corresponding feed:remove SHALL NOT be issued (RFC 9967 §2.4.4)',
    ),
  ];
}

/** RFC 8417 §2 and §2.2: "jti" and "iat" are REQUIRED; "events" is an object of at least one object member. */
function envelopeViolations(claims: Json): string[] {
  const events = claims.events;
  return [
    ...rule(typeof claims.jti !== 'string' || claims.jti === '', '"jti" is REQUIRED (RFC 8417 §2.2)'),
    ...rule(typeof claims.iat !== 'number', '"iat" is REQUIRED (RFC 8417 §2.2)'),
    ...rule(
      !isObject(events) || Object.keys(events).length === 0,
      '"events" MUST be a JSON object with at least one member (RFC 8417 §2)',
    ),
    ...(isObject(events) ? Object.entries(events) : [])
      .filter(([, payload]) => !isObject(payload))
      .map(([uri]) => `the value of event ${uri} MUST be a JSON object (RFC 8417 §2.2)`),
  ];
}

/** RFC 9967 §2.1 (and RFC 9493 §3, §4.1): a top-level "sub_id" of format "scim" with a "uri", and no "sub". */
function subjectViolations(claims: Json): string[] {
  const subId = claims.sub_id;
  return [
    ...rule('sub' in claims, 'the JWT "sub" claim MUST NOT be used (RFC 9967 §2.1)'),
    ...rule(!isObject(subId), 'SCIM events MUST use a top-level "sub_id" claim (RFC 9967 §2.1)'),
    ...rule(
      isObject(subId) && subId.format !== 'scim',
      '"sub_id" MUST carry its "format" (RFC 9493 §3), which is "scim" (RFC 9967 §2.1)',
    ),
    ...rule(
      isObject(subId) && (typeof subId.uri !== 'string' || subId.uri === ''),
      '"sub_id" "uri" MUST be provided (RFC 9967 §2.1)',
    ),
  ];
}

/** Events of other profiles are not judged: SETs not of interest may be ignored (RFC 8935 §3, RFC 8417 §3). */
function eventViolations(uri: string, payload: Json, claims: Json): string[] {
  const inPayload = rule(
    'sub_id' in payload,
    `${uri}: "sub_id" MUST NOT be located within an event payload (RFC 9967 §2.1)`,
  );
  if (!uri.startsWith(SCIM_EVENT)) return inPayload;
  const name = uri.slice(SCIM_EVENT.length);
  const family = name.split(':').slice(0, 2).join(':');
  if (BARE_EVENTS.includes(family)) return [...inPayload, ...bareEventViolations(uri, name !== family, payload)];
  if (!REGISTERED_EVENTS.has(name))
    return [
      ...inPayload,
      `${uri} is not a registered SCIM event (RFC 9967 §7.4), so it conforms to no definition (RFC 8935 §2.4)`,
    ];
  if (PAYLOAD_EVENTS.includes(family)) return [...inPayload, ...payloadViolations(uri, payload)];
  return name === 'misc:asyncresp' ? [...inPayload, ...asyncResponseViolations(uri, payload, claims)] : inPayload;
}

/** RFC 9967 §2.4.4: delete has no payload attributes and its qualifiers SHALL NOT be used; §2.4.5, §2.4.6 and §7.4 define activate and deactivate alike. */
function bareEventViolations(uri: string, qualified: boolean, payload: Json): string[] {
  return [
    ...rule(qualified, `${uri}: the qualifiers "full" and "notice" SHALL NOT be used here (RFC 9967 §2.4.4, §7.4)`),
    ...rule(
      'data' in payload || 'attributes' in payload,
      `${uri}: this event has no payload attributes (RFC 9967 §2.4.4-§2.4.6)`,
    ),
  ];
}

/** RFC 9967 §2.4: exactly one of "data" / "attributes"; with "data" the URI MUST end with "full", else with "notice". */
function payloadViolations(uri: string, payload: Json): string[] {
  const hasData = 'data' in payload;
  const hasAttributes = 'attributes' in payload;
  const full = uri.endsWith(':full');
  return [
    ...rule(hasData === hasAttributes, `${uri}: exactly one of "data" or "attributes" MUST be present (RFC 9967 §2.4)`),
    ...rule(hasData && !full, `${uri}: with "data" the event URI MUST end with "full" (RFC 9967 §2.4)`),
    ...rule(
      !hasData && hasAttributes && full,
      `${uri}: without "data" the event URI ends with "notice" (RFC 9967 §2.4)`,
    ),
    ...rule(hasData && !isObject(payload.data), `${uri}: "data" is a JSON object (RFC 9967 §2.2)`),
    ...rule(
      hasAttributes && !isStringArray(payload.attributes),
      `${uri}: "attributes" is an array of names (RFC 9967 §2.2)`,
    ),
    ...(uri.endsWith(':patch:full') && isObject(payload.data) && isPatchOp(payload.data)
      ? patchViolations(payload.data).map((v) => `${uri}: ${v}`)
      : []),
  ];
}

/** RFC 9967 §2.5.1.3: "txn" MUST be set; a non-2xx "status" MUST come with a "response". */
function asyncResponseViolations(uri: string, payload: Json, claims: Json): string[] {
  return [
    ...rule(typeof claims.txn !== 'string', `${uri}: the "txn" claim MUST be set (RFC 9967 §2.5.1.3)`),
    ...rule(
      !/^2\d\d$/.test(String(payload.status)) && !isObject(payload.response),
      `${uri}: an error MUST include a "response" attribute (RFC 9967 §2.5.1.3)`,
    ),
  ];
}

/** RFC 9967 §2.4.4: a resource deleted here leaves the feed with its delete; a later feed:remove SHALL NOT be issued. */
function feedRemoveViolations(claims: Json, users: Map<string, ReceiverUser>): string[] {
  const uri = isObject(claims.sub_id) ? claims.sub_id.uri : undefined;
  const removes = isObject(claims.events) && `${SCIM_EVENT}feed:remove` in claims.events;
  return rule(
    removes && typeof uri === 'string' && users.get(uri)?.deleted === true,
    `feed:remove for ${String(uri)}, already deleted: SHALL NOT be issued (RFC 9967 §2.4.4)`,
  );
}

/** What a retransmission must repeat: every claim but "iat", which a re-signed copy may renew. */
function fingerprint(claims: Json): string {
  const sorted = (_key: string, value: unknown) =>
    isObject(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1))) : value;
  return JSON.stringify({ ...claims, iat: undefined }, sorted);
}

/**
 * Not violations, but refused (400 invalid_request): a "typ" naming another kind of JWT (RFC 8417 §2.3: when present
 * it declares a SET, "secevent+jwt", the "application/" prefix optional per RFC 7515 §4.1.9; §4.3), and PATCH filters
 * beyond `attr eq value`, which this receiver cannot apply.
 */
function unsupportedFeatures(claims: Json, typ: string | undefined): string[] {
  const patch = (claims.events as Json)[`${SCIM_EVENT}prov:patch:full`];
  const data = isObject(patch) && isObject(patch.data) && isPatchOp(patch.data) ? patch.data : undefined;
  const filters = ((data?.Operations as Json[] | undefined) ?? [])
    .map((operation) => (typeof operation.path === 'string' ? parsePath(operation.path)?.filter : undefined))
    .filter((filter): filter is string => filter !== undefined && parseFilter(filter) === undefined);
  return [
    ...rule(
      typ !== undefined && !['secevent+jwt', 'application/secevent+jwt'].includes(typ.toLowerCase()),
      `"typ" "${typ}" declares another kind of JWT than a SET (RFC 8417 §2.3, §4.3)`,
    ),
    ...filters.map((f) => `PATCH filter "${f}" is beyond "attr eq value", which this receiver understands`),
  ];
}

// ---- RFC 7644 §3.5.2: SCIM PATCH

/**
 * RFC 9967 §2.2 has "data" carry the SCIM command (Figure 6: a PatchOp) while §2.4 speaks of the final representation:
 * a patch:full "data" with the PatchOp schema or "Operations" is a PatchOp, anything else a final representation.
 */
function isPatchOp(data: Json): boolean {
  return (isStringArray(data.schemas) && data.schemas.includes(PATCH_OP)) || 'Operations' in data;
}

/** RFC 7644 §3.5.2: the PatchOp schema, and "Operations" an array of one or more operations. */
function patchViolations(data: Json): string[] {
  const operations = data.Operations;
  return [
    ...rule(
      !isStringArray(data.schemas) || !data.schemas.includes(PATCH_OP),
      `a PatchOp MUST carry "schemas" with ${PATCH_OP} (RFC 7644 §3.5.2)`,
    ),
    ...(Array.isArray(operations) && operations.length > 0
      ? operations.flatMap(operationViolations)
      : ['"Operations" MUST be an array of one or more operations (RFC 7644 §3.5.2)']),
  ];
}

/** RFC 7644 §3.5.2: "op" is add/remove/replace; add and replace carry a "value"; remove needs a "path" (§3.5.2.2). */
function operationViolations(operation: unknown, index: number): string[] {
  const at = `Operations[${index}]`;
  if (!isObject(operation) || !['add', 'remove', 'replace'].includes(operation.op as string))
    return [`${at}: "op" MUST be "add", "remove" or "replace" (RFC 7644 §3.5.2)`];
  const { op, path, value } = operation;
  return [
    ...rule(
      op !== 'remove' && value === undefined,
      `${at}: ${op} MUST contain a "value" (RFC 7644 §3.5.2.1, §3.5.2.3)`,
    ),
    ...rule(op === 'remove' && path === undefined, `${at}: remove without "path" fails, noTarget (RFC 7644 §3.5.2.2)`),
    ...rule(
      path !== undefined && (typeof path !== 'string' || parsePath(path) === undefined),
      `${at}: "path" ${JSON.stringify(path)} is not a valid attribute path (RFC 7644 §3.5.2, invalidPath)`,
    ),
    ...rule(
      op !== 'remove' && path === undefined && !isObject(value),
      `${at}: with no "path", "value" is a set of attributes (RFC 7644 §3.5.2.1, §3.5.2.3)`,
    ),
  ];
}

function parsePath(path: string): AttributePath | undefined {
  const match = PATH.exec(path);
  if (!match) return undefined;
  const [, urn, attr, sub, filter, subAfterFilter] = match;
  return { urn, attr: attr!, sub: sub ?? subAfterFilter, filter };
}

function parseFilter(filter: string): { attr: string; value: unknown } | undefined {
  const match = EQ_FILTER.exec(filter);
  try {
    return match ? { attr: match[1]!, value: JSON.parse(match[2]!) } : undefined;
  } catch {
    return undefined; // compValue is JSON: false / null / true / number / string (RFC 7644 §3.4.2.2)
  }
}

function applyPatch(resource: Json, operations: Json[]): void {
  for (const operation of operations) {
    const op = operation.op as PatchVerb;
    if (typeof operation.path !== 'string') {
      // No path: "value" is a set of attributes of the resource (RFC 7644 §3.5.2.1, §3.5.2.3).
      for (const [name, value] of Object.entries(operation.value as Json)) setAttribute(resource, name, value, op);
      continue;
    }
    const path = parsePath(operation.path)!;
    const target = container(resource, path.urn, op !== 'remove');
    if (target && path.filter !== undefined) applyFiltered(target, path, op, operation.value);
    else if (target) applyUnfiltered(target, path, op, operation.value);
  }
}

/** Core schema attributes sit at the top of the resource; an extension's in an object under its URN (RFC 7643 §3). */
function container(resource: Json, urn: string | undefined, create: boolean): Json | undefined {
  if (urn === undefined || urn.startsWith(CORE_SCHEMA)) return resource;
  const key = keyOf(resource, urn);
  if (create && !isObject(resource[key])) resource[key] = {};
  const found = resource[key];
  return isObject(found) ? found : undefined;
}

/** RFC 7643 §2.1: attribute names are case-insensitive. */
function keyOf(object: Json, name: string): string {
  return Object.keys(object).find((key) => key.toLowerCase() === name.toLowerCase()) ?? name;
}

/**
 * add or replace one attribute (RFC 7644 §3.5.2.1, §3.5.2.3): a complex value's sub-attributes merge into the current
 * ones; add appends to a multi-valued attribute the values not already there; anything else replaces the value.
 */
function setAttribute(target: Json, name: string, value: unknown, op: PatchVerb): void {
  const key = keyOf(target, name);
  const current = target[key];
  if (isObject(current) && isObject(value))
    for (const [sub, subValue] of Object.entries(value)) setAttribute(current, sub, subValue, op);
  else if (op === 'add' && Array.isArray(current)) {
    const added = (Array.isArray(value) ? value : [value]).filter((v) => !current.some((c) => sameValue(c, v)));
    target[key] = [...current, ...structuredClone(added)];
  } else target[key] = structuredClone(value);
}

/** RFC 7644 §3.5.2.2: remove drops the attribute (a multi-valued one with all its values) or the sub-attribute. */
function applyUnfiltered(target: Json, path: AttributePath, op: PatchVerb, value: unknown): void {
  const key = keyOf(target, path.attr);
  if (path.sub === undefined) {
    if (op === 'remove') delete target[key];
    else setAttribute(target, path.attr, value, op);
    return;
  }
  if (op !== 'remove' && !isObject(target[key])) target[key] = {};
  const parent = target[key];
  if (!isObject(parent)) return;
  if (op === 'remove') delete parent[keyOf(parent, path.sub)];
  else setAttribute(parent, path.sub, value, op);
}

/**
 * A value filter selects records of a multi-valued attribute. remove drops them (an attribute left empty is unassigned,
 * RFC 7644 §3.5.2.2) or their sub-attribute; replace (and add, alike) replaces them or sets their sub-attribute
 * (§3.5.2.3). No record matching is noTarget at the sender; here it changes nothing.
 */
function applyFiltered(target: Json, path: AttributePath, op: PatchVerb, value: unknown): void {
  const key = keyOf(target, path.attr);
  const records = target[key];
  const filter = parseFilter(path.filter!)!;
  if (!Array.isArray(records)) return;
  const matches = (record: unknown): record is Json =>
    isObject(record) && sameValue(record[keyOf(record, filter.attr)], filter.value);
  if (op === 'remove' && path.sub === undefined) {
    const rest = records.filter((record) => !matches(record));
    if (rest.length > 0) target[key] = rest;
    else delete target[key];
    return;
  }
  records.forEach((record: unknown, index) => {
    if (!matches(record)) return;
    if (path.sub === undefined) records[index] = structuredClone(value);
    else if (op === 'remove') delete record[keyOf(record, path.sub)];
    else setAttribute(record, path.sub, value, op);
  });
}

/**
 * Values compare by their "value" sub-attribute when they have one; strings case-insensitively, as SCIM attributes
 * are "caseExact": false unless their schema says otherwise (RFC 7643 §2.2).
 */
function sameValue(a: unknown, b: unknown): boolean {
  const comparable = (v: unknown): string =>
    isObject(v) && 'value' in v
      ? comparable(v.value)
      : typeof v === 'string'
        ? `s:${v.toLowerCase()}`
        : `j:${JSON.stringify(v)}`;
  return comparable(a) === comparable(b);
}

// ---- applying a SET to the receiver's Users

function applySet(users: Map<string, ReceiverUser>, claims: Json): void {
  const uri = (claims.sub_id as Json).uri as string;
  const events = claims.events as Json;
  for (const name of APPLY_ORDER) {
    const payload = events[SCIM_EVENT + name];
    if (isObject(payload)) applyEvent(userFor(users, uri), name, payload);
  }
  const user = users.get(uri);
  if (user && typeof claims.txn === 'string') user.lastTxn = claims.txn; // notice and feed events only stamp a known user
}

function userFor(users: Map<string, ReceiverUser>, uri: string): ReceiverUser {
  const user = users.get(uri) ?? { uri, resource: {}, active: true, deleted: false };
  users.set(uri, user);
  return user;
}

function applyEvent(user: ReceiverUser, name: string, payload: Json): void {
  const data = payload.data as Json;
  switch (name) {
    case 'prov:create:full':
      user.deleted = false;
      return replaceResource(user, data, true);
    case 'prov:put:full':
      return replaceResource(user, data, user.active);
    case 'prov:patch:full':
      if (!isPatchOp(data)) return replaceResource(user, data, user.active);
      applyPatch(user.resource, data.Operations as Json[]);
      if (typeof user.resource.active === 'boolean') user.active = user.resource.active;
      return;
    case 'prov:activate':
    case 'prov:deactivate':
      user.active = name === 'prov:activate';
      user.resource.active = user.active;
      return;
    case 'prov:delete':
      user.deleted = true;
  }
}

/** "active" follows the new representation; absent there, create defaults to true and put/patch keep the current. */
function replaceResource(user: ReceiverUser, data: Json, activeIfAbsent: boolean): void {
  user.resource = structuredClone(data);
  user.active = typeof data.active === 'boolean' ? data.active : activeIfAbsent;
}
