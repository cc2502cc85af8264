// test/unit/set-receiver.test.ts: the RFC-built SET receiver answers (RFC 8935) and applies (RFC 9967, RFC 7644 PATCH)
// SETs built from the RFC 9967 examples, refuses what it must, and lists the MUST rules a SET broke.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { startSetReceiver } from '../helpers/set-receiver';
import type { SetReceiver, SetReceiverOptions } from '../helpers/set-receiver';

const EVENT = 'urn:ietf:params:scim:event:';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
// RFC 9967 Figure 4 (create:full) and Figure 8 (put:full).
const ISS = 'https://scim.example.com';
const AUD = 'https://scim.example.com/Feeds/98d52461fa5bbc879593b7754';
const USER = '/Users/44f6142df96bd6ab61e7521d9';
const CREATED = {
  schemas: [USER_SCHEMA],
  emails: [{ type: 'work', value: 'jdoe@example.com' }],
  userName: 'jdoe',
  name: { givenName: 'John', familyName: 'Doe' },
};
const PUT = {
  schemas: [USER_SCHEMA],
  userName: 'jdoe',
  externalId: 'jdoe',
  name: { formatted: 'Mr. Jon Jack Doe III', familyName: 'Doe', givenName: 'Jon', middleName: 'Jack' },
  roles: [],
  emails: [{ value: 'jdoe@example.com' }, { value: 'anon@jdoe.org' }],
};

interface Signer {
  key: CryptoKey;
  kid: string;
}
type Claims = Record<string, unknown>;

let serial = 0;
/** The claims of RFC 9967 Figures 4-11: iss, aud (an array, as there), jti, txn, sub_id of format "scim", events. */
function claimsFor(events: Record<string, object>, extra: Claims = {}): Claims {
  serial += 1;
  return {
    iss: ISS,
    aud: [AUD, 'https://scim.example.com/Feeds/5d7604516b1d08641d7676ee7'],
    jti: `jti-${serial}`,
    txn: `txn-${serial}`,
    sub_id: { format: 'scim', uri: USER, externalId: 'jdoe' },
    events,
    ...extra,
  };
}

async function sign(claims: Claims, signer: Signer, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: signer.kid, typ: 'secevent+jwt', ...header })
    .setIssuedAt()
    .sign(signer.key);
}

async function newSigner(kid: string): Promise<{ signer: Signer; jwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { signer: { key: privateKey, kid }, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/** An RFC 8935 §2.1 transmission request. */
async function post(receiver: SetReceiver, token: string, headers: Record<string, string> = {}) {
  const response = await fetch(receiver.url, {
    method: 'POST',
    headers: { 'content-type': 'application/secevent+jwt', accept: 'application/json', ...headers },
    body: token,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : undefined };
}

const patchOf = (...operations: object[]) => ({ data: { schemas: [PATCH_OP], Operations: operations } });

describe('SET receiver built from RFC 8935 / RFC 8417 / RFC 9967', function () {
  let signer: Signer;
  let jwk: JWK;
  let receiver: SetReceiver;

  before(async function () {
    ({ signer, jwk } = await newSigner('k1'));
  });
  afterEach(async function () {
    await receiver.stop();
  });

  const start = async (extra: Partial<SetReceiverOptions> = {}) =>
    (receiver = await startSetReceiver({ jwks: { keys: [jwk] }, issuer: ISS, audience: AUD, ...extra }));
  const send = async (events: Record<string, object>, extra: Claims = {}) =>
    post(receiver, await sign(claimsFor(events, extra), signer));
  const create = () => send({ [`${EVENT}prov:create:full`]: { data: CREATED } });

  describe('applying SCIM provisioning events', function () {
    it('acknowledges create:full with 202 and an empty body, and keeps its data as the user', async function () {
      await start();
      const answer = await create();
      expect(answer.status).to.equal(202);
      expect(answer.text).to.equal('');
      const user = receiver.users.get(USER)!;
      expect(user).to.deep.include({ uri: USER, active: true, deleted: false, lastTxn: `txn-${serial}` });
      expect(user.resource).to.deep.equal(CREATED);
      expect(receiver.applied).to.deep.equal([`jti-${serial}`]);
      expect(receiver.received).to.have.length(1);
      const { claims, ...record } = receiver.received[0]!;
      expect(record).to.deep.equal({ status: 202, jti: `jti-${serial}`, duplicate: false });
      expect(claims).to.have.property('sub_id').that.deep.includes({ uri: USER });
      expect(receiver.violations).to.deep.equal([]);
    });

    it('replaces the representation with put:full data', async function () {
      await start();
      await create();
      expect((await send({ [`${EVENT}prov:put:full`]: { version: 'a330bc54f0671c9', data: PUT } })).status).to.equal(
        202,
      );
      expect(receiver.users.get(USER)!.resource).to.deep.equal(PUT);
      expect(receiver.users.get(USER)!.lastTxn).to.equal(`txn-${serial}`);
    });

    it('applies patch:full operations in order: add a new entitlement, append only new values, replace, remove by filter', async function () {
      await start();
      await create();
      const entitlements = (ops: object[]) => send({ [`${EVENT}prov:patch:full`]: patchOf(...ops) });
      await entitlements([{ op: 'add', path: 'entitlements', value: [{ value: 'crm' }] }]);
      expect(receiver.users.get(USER)!.resource.entitlements).to.deep.equal([{ value: 'crm' }]);
      const answer = await entitlements([
        { op: 'add', path: 'entitlements', value: [{ value: 'crm' }, { value: 'billing' }] },
        { op: 'replace', path: 'displayName', value: 'Johnny' },
        { op: 'replace', value: { name: { givenName: 'Jack' } } },
        { op: 'remove', path: 'entitlements[value eq "crm"]' },
      ]);
      expect(answer.status).to.equal(202);
      const resource = receiver.users.get(USER)!.resource;
      expect(resource.entitlements).to.deep.equal([{ value: 'billing' }]);
      expect(resource.displayName).to.equal('Johnny');
      expect(resource.name).to.deep.equal({ givenName: 'Jack', familyName: 'Doe' });
      await entitlements([{ op: 'remove', path: 'entitlements[value eq "billing"]' }]);
      expect(receiver.users.get(USER)!.resource).to.not.have.property('entitlements'); // left empty: unassigned
      await entitlements([{ op: 'remove', path: 'emails[type eq "work"].type' }]);
      expect(receiver.users.get(USER)!.resource.emails).to.deep.equal([{ value: 'jdoe@example.com' }]);
      expect(receiver.applied).to.have.length(5);
    });

    it('deactivates, then deletes while keeping the entry', async function () {
      await start();
      await create();
      expect((await send({ [`${EVENT}prov:deactivate`]: {} })).status).to.equal(202);
      expect(receiver.users.get(USER)).to.deep.include({ active: false, deleted: false });
      expect(receiver.users.get(USER)!.resource.active).to.equal(false);
      expect((await send({ [`${EVENT}prov:delete`]: {} })).status).to.equal(202);
      expect(receiver.users.get(USER)).to.deep.include({ active: false, deleted: true });
      expect(receiver.users.get(USER)!.resource.userName).to.equal('jdoe');
    });

    it('applies the events of one SET as one transaction: the creation before the deactivation', async function () {
      await start();
      await send({ [`${EVENT}prov:deactivate`]: {}, [`${EVENT}prov:create:full`]: { data: CREATED } });
      expect(receiver.users.get(USER)).to.deep.include({ active: false, deleted: false });
      expect(receiver.users.get(USER)!.resource).to.deep.equal({ ...CREATED, active: false });
    });

    it('acknowledges notice and feed events without creating a user', async function () {
      await start();
      const notice = { attributes: ['id', 'name', 'userName', 'password', 'emails'] };
      expect((await send({ [`${EVENT}prov:create:notice`]: notice })).status).to.equal(202);
      expect((await send({ [`${EVENT}feed:add`]: {} })).status).to.equal(202);
      expect(receiver.users.size).to.equal(0);
      expect(receiver.applied).to.have.length(2);
      expect(receiver.received[0]!.claims!.events).to.deep.equal({ [`${EVENT}prov:create:notice`]: notice });
    });
  });

  describe('duplicates (RFC 8935 §2, RFC 8417 §2.2)', function () {
    it('acknowledges a SET sent again with 202, marked duplicate, and does not apply it again', async function () {
      await start();
      const token = await sign(claimsFor({ [`${EVENT}prov:create:full`]: { data: CREATED } }), signer);
      expect((await post(receiver, token)).status).to.equal(202);
      await send({ [`${EVENT}prov:patch:full`]: patchOf({ op: 'remove', path: 'emails' }) });
      expect((await post(receiver, token)).status).to.equal(202);
      expect(receiver.received.map((r) => r.duplicate)).to.deep.equal([false, false, true]);
      expect(receiver.applied).to.have.length(2);
      expect(receiver.users.get(USER)!.resource).to.not.have.property('emails'); // the create was not applied again
    });

    it('lists a jti reused for another SET', async function () {
      await start();
      await create();
      const reused = claimsFor({ [`${EVENT}prov:delete`]: {} }, { jti: receiver.applied[0] });
      const answer = await post(receiver, await sign(reused, signer));
      expect(answer.status).to.equal(400);
      expect(answer.json.err).to.equal('invalid_request');
      expect(receiver.violations).to.have.length(1);
      expect(receiver.violations[0]).to.include('"jti" MUST be unique');
      expect(receiver.users.get(USER)!.deleted).to.equal(false);
    });
  });

  describe('verification (RFC 8935 §2.3, §2.4)', function () {
    const refusedWith = async (token: string, err: string) => {
      const answer = await post(receiver, token);
      expect(answer.status).to.equal(400);
      expect(answer.headers.get('content-type')).to.equal('application/json');
      expect(answer.headers.get('content-language')).to.equal('en');
      expect(answer.json.err).to.equal(err);
      expect(answer.json.description).to.be.a('string').and.not.equal('');
    };

    it('refuses a SET signed with another key, an unknown kid, HMAC or no signature with invalid_key', async function () {
      await start();
      const claims = claimsFor({ [`${EVENT}prov:create:full`]: { data: CREATED } });
      const stranger = (await newSigner('k1')).signer;
      await refusedWith(await sign(claims, stranger), 'invalid_key');
      await refusedWith(await sign(claims, { ...stranger, kid: 'k9' }), 'invalid_key');
      const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(new Uint8Array(32));
      await refusedWith(hmac, 'invalid_key');
      await refusedWith(new UnsecuredJWT(claims).encode(), 'invalid_key');
      expect(receiver.received.map((r) => [r.status, r.err, r.jti])).to.deep.equal(
        Array(4).fill([400, 'invalid_key', claims.jti]),
      );
      expect(receiver.applied).to.deep.equal([]);
      expect(receiver.users.size).to.equal(0);
    });

    it('refuses a wrong issuer with invalid_issuer and a wrong audience with invalid_audience', async function () {
      await start();
      const events = { [`${EVENT}prov:create:full`]: { data: CREATED } };
      await refusedWith(await sign(claimsFor(events, { iss: 'https://other.example.com' }), signer), 'invalid_issuer');
      await refusedWith(
        await sign(claimsFor(events, { aud: 'https://other.example.com/Feeds/1' }), signer),
        'invalid_audience',
      );
      expect(receiver.applied).to.deep.equal([]);
      expect(receiver.violations).to.deep.equal([]);
    });

    it('accepts "aud" as a single string naming this receiver', async function () {
      await start();
      expect((await send({ [`${EVENT}feed:add`]: {} }, { aud: AUD })).status).to.equal(202);
    });

    it('refuses a wrong Content-Type with invalid_request and lists the broken MUST', async function () {
      await start();
      const token = await sign(claimsFor({ [`${EVENT}prov:create:full`]: { data: CREATED } }), signer);
      const answer = await post(receiver, token, { 'content-type': 'application/jwt' });
      expect(answer.status).to.equal(400);
      expect(answer.json.err).to.equal('invalid_request');
      expect(receiver.violations).to.have.length(1);
      expect(receiver.violations[0]).to.include('application/secevent+jwt (RFC 8935 §2.1)');
      expect(receiver.users.size).to.equal(0);
    });

    it('refuses a "typ" naming another kind of JWT without listing a violation', async function () {
      await start();
      const token = await sign(claimsFor({ [`${EVENT}feed:add`]: {} }), signer, { typ: 'at+jwt' });
      await refusedWith(token, 'invalid_request');
      expect(receiver.violations).to.deep.equal([]);
      expect(receiver.applied).to.deep.equal([]);
    });
  });

  describe('RFC 9967 rules', function () {
    it('lists a SET with "sub" and no "sub_id" as violations, answered 400 invalid_request', async function () {
      await start();
      const claims = claimsFor({ [`${EVENT}prov:create:full`]: { data: CREATED } }, { sub: USER });
      delete claims.sub_id;
      const answer = await post(receiver, await sign(claims, signer));
      expect(answer.status).to.equal(400);
      expect(answer.json.err).to.equal('invalid_request');
      expect(receiver.violations).to.deep.equal([
        `${claims.jti}: the JWT "sub" claim MUST NOT be used (RFC 9967 §2.1)`,
        `${claims.jti}: SCIM events MUST use a top-level "sub_id" claim (RFC 9967 §2.1)`,
      ]);
      expect(receiver.received[0]).to.deep.include({ status: 400, err: 'invalid_request', duplicate: false });
      expect(receiver.users.size).to.equal(0);
    });

    it('lists each broken payload rule and applies none of those SETs', async function () {
      await start();
      const cases: [Record<string, object>, Claims, string][] = [
        [{ [`${EVENT}prov:create:full`]: { data: CREATED, attributes: ['userName'] } }, {}, 'exactly one of'],
        [{ [`${EVENT}prov:create:notice`]: { data: CREATED } }, {}, 'MUST end with "full"'],
        [{ [`${EVENT}prov:delete:full`]: {} }, {}, 'SHALL NOT be used'],
        [{ [`${EVENT}prov:deactivate`]: { data: { active: false } } }, {}, 'no payload attributes'],
        [{ [`${EVENT}prov:patch:full`]: { data: { Operations: [{ op: 'remove', path: 'emails' }] } } }, {}, PATCH_OP],
        [{ [`${EVENT}prov:patch:full`]: patchOf({ op: 'remove' }) }, {}, 'noTarget'],
        [{ [`${EVENT}prov:patch:full`]: patchOf({ op: 'add', path: 'a]b', value: 1 }) }, {}, 'invalidPath'],
        [{ [`${EVENT}prov:activate`]: { sub_id: { format: 'scim', uri: USER } } }, {}, 'within an event payload'],
        [{ [`${EVENT}prov:suspend`]: {} }, {}, 'not a registered SCIM event'],
        [{ [`${EVENT}misc:asyncresp`]: { method: 'PUT', status: '200' } }, { txn: undefined }, '"txn" claim MUST'],
        [{ [`${EVENT}feed:add`]: {} }, { sub_id: { format: 'email', uri: USER } }, '"format"'],
        [{ [`${EVENT}feed:add`]: {} }, { sub_id: { format: 'scim' } }, '"uri" MUST be provided'],
        [{ [`${EVENT}prov:delete`]: {}, [`${EVENT}feed:remove`]: {} }, {}, 'feed:remove SHALL NOT'],
      ];
      for (const [events, extra, expected] of cases) {
        const answer = await send(events, extra);
        expect(answer.status, expected).to.equal(400);
        expect(answer.json.err, expected).to.equal('invalid_request');
        expect(receiver.violations.at(-1), expected).to.include(expected);
      }
      expect(receiver.violations).to.have.length(cases.length);
      expect(receiver.applied).to.deep.equal([]);
      expect(receiver.users.size).to.equal(0);
    });

    it('lists a feed:remove issued after the delete of the same resource', async function () {
      await start();
      await create();
      await send({ [`${EVENT}prov:delete`]: {} });
      const answer = await send({ [`${EVENT}feed:remove`]: {} });
      expect(answer.status).to.equal(400);
      expect(receiver.violations).to.have.length(1);
      expect(receiver.violations[0]).to.include('already deleted');
      expect(receiver.applied).to.have.length(2);
    });

    it('refuses a PATCH filter beyond "attr eq value" without listing a violation', async function () {
      await start();
      await create();
      const path = 'emails[type eq "work" and primary eq true].value';
      const answer = await send({
        [`${EVENT}prov:patch:full`]: patchOf({ op: 'replace', path, value: 'x@example.com' }),
      });
      expect(answer.status).to.equal(400);
      expect(answer.json.err).to.equal('invalid_request');
      expect(receiver.violations).to.deep.equal([]);
      expect(receiver.users.get(USER)!.resource).to.deep.equal(CREATED);
    });
  });

  describe('modes and authentication', function () {
    it('answers 503 with Retry-After while set so, applies nothing, and applies the SET once back to ok', async function () {
      await start();
      receiver.setMode({ status: 503, retryAfter: 1 });
      const token = await sign(claimsFor({ [`${EVENT}prov:create:full`]: { data: CREATED } }), signer);
      const refused = await post(receiver, token);
      expect(refused.status).to.equal(503);
      expect(refused.headers.get('retry-after')).to.equal('1');
      expect(receiver.applied).to.deep.equal([]);
      expect(receiver.users.size).to.equal(0);
      receiver.setMode('ok');
      expect((await post(receiver, token)).status).to.equal(202);
      expect(receiver.received.map((r) => [r.status, r.duplicate])).to.deep.equal([
        [503, false],
        [202, false],
      ]);
      expect(receiver.users.get(USER)!.resource).to.deep.equal(CREATED);
    });

    it('answers 400 with the err code it is set to', async function () {
      await start();
      receiver.setMode({ status: 400, err: 'access_denied' });
      const answer = await create();
      expect(answer.status).to.equal(400);
      expect(answer.json.err).to.equal('access_denied');
      expect(receiver.received[0]).to.deep.include({ status: 400, err: 'access_denied' });
      expect(receiver.applied).to.deep.equal([]);
    });

    it('requires the bearer token: 401 with a challenge without one, 400 authentication_failed for a wrong one', async function () {
      await start({ bearerToken: 's3cret' });
      const claims = claimsFor({ [`${EVENT}prov:create:full`]: { data: CREATED } });
      const token = await sign(claims, signer);
      const bare = await post(receiver, token);
      expect(bare.status).to.equal(401);
      expect(bare.headers.get('www-authenticate')).to.equal('Bearer');
      const wrong = await post(receiver, token, { authorization: 'Bearer nope' });
      expect(wrong.status).to.equal(400);
      expect(wrong.json.err).to.equal('authentication_failed');
      expect(receiver.applied).to.deep.equal([]);
      expect((await post(receiver, token, { authorization: 'bearer s3cret' })).status).to.equal(202);
      expect(receiver.applied).to.deep.equal([claims.jti]);
    });
  });

  describe('a remote JWKS', function () {
    let jwksServer: http.Server;
    let published: JWK[];
    let fetches: number;

    beforeEach(async function () {
      published = [jwk];
      fetches = 0;
      jwksServer = http.createServer((_req, res) => {
        fetches += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published }));
      });
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async function () {
      jwksServer.closeAllConnections();
      await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
    });

    it('is fetched again for a kid it lacks, so a rotated key verifies at once', async function () {
      await start({ jwks: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json` });
      expect((await create()).status).to.equal(202);
      const next = await newSigner('k2');
      published = [jwk, next.jwk];
      const rotated = claimsFor({ [`${EVENT}prov:deactivate`]: {} });
      expect((await post(receiver, await sign(rotated, next.signer))).status).to.equal(202);
      expect(fetches).to.equal(2);
      expect(receiver.users.get(USER)!.active).to.equal(false);
      const unknown = await post(
        receiver,
        await sign(claimsFor({ [`${EVENT}feed:add`]: {} }), { ...next.signer, kid: 'k3' }),
      );
      expect(unknown.status).to.equal(400);
      expect(unknown.json.err).to.equal('invalid_key');
    });
  });
});
