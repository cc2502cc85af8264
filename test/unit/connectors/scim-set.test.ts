// test/unit/connectors/scim-set.test.ts: webhook events as SCIM SETs (claims per RFC 9967), ES256 signing, key rotation, flags.
import { expect } from 'chai';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { rotatedWebhook, webhookConfig } from '../../../cli/app-webhook';
import type { SetEventInput } from '../../../connectors/scim-set';
import { newSetKey, rotatedSetSigning, setClaims, setErrorOf, setJwks, signSet } from '../../../connectors/scim-set';
import { WebhookAppConfigSchema } from '../../../connectors/webhook-config';
import type { GroupEventType, GroupLogEvent } from '../../../connectors/webhook-groups';
import { groupWebhookEvent } from '../../../connectors/webhook-groups';
import { changeSource } from '../../../domain/apps/change-source';

const PROV = 'urn:ietf:params:scim:event:prov';
const signing = { issuer: 'https://scimflow.example', audience: 'https://app.example/set', ...newSetKey() };
const account = {
  id: 'acc-1',
  userName: 'ada@acme.test',
  externalId: 'E1',
  active: true,
  attributes: { userName: 'ada@acme.test', externalId: 'E1', active: true, displayName: 'Ada' },
};
const event = (type: string, extra: Partial<SetEventInput> = {}): SetEventInput => ({
  type,
  eventId: `msg_${type}`,
  txn: 'dir-1.42',
  sequence: 3,
  createdAt: '2026-12-03T12:00:00.000Z',
  account,
  scimflow: { identityId: 'id-1', source: 'idp' },
  ...extra,
});

describe('SCIM SET claims (RFC 9967)', function () {
  it('names the subject with sub_id (format scim, uri, id, externalId) and never sub', function () {
    const claims = setClaims(event('account.created'), signing);
    expect(claims).to.include({
      iss: signing.issuer,
      aud: signing.audience,
      jti: 'msg_account.created',
      txn: 'dir-1.42',
    });
    expect(claims.iat).to.equal(Date.parse('2026-12-03T12:00:00.000Z') / 1000);
    expect(claims.sub_id).to.deep.equal({ format: 'scim', uri: '/Users/acc-1', id: 'acc-1', externalId: 'E1' });
    expect(claims).to.not.have.property('sub');
    expect(claims.scimflow).to.deep.equal({ identityId: 'id-1', source: 'idp', sequence: 3 });
  });

  it('maps each webhook event to its provisioning event, full events with data and a version', function () {
    const eventsOf = (e: SetEventInput) => setClaims(e, signing).events as Record<string, Record<string, unknown>>;
    const created = eventsOf(event('account.created'))[`${PROV}:create:full`]!;
    expect(created.version).to.equal('W/"3"');
    expect(created.data).to.deep.include({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: 'acc-1',
      userName: 'ada@acme.test',
      displayName: 'Ada',
      active: true,
    });
    expect(Object.keys(eventsOf(event('account.updated')))).to.deep.equal([`${PROV}:put:full`]);
    const put = eventsOf(event('account.updated', { held: ['admins'] }))[`${PROV}:put:full`]!;
    expect(put.data, 'a whole representation: what it holds too').to.deep.include({
      entitlements: [{ value: 'admins' }],
    });
    expect(Object.keys(eventsOf(event('account.updated', { previous: { active: false } })))).to.deep.equal([
      `${PROV}:put:full`,
      `${PROV}:activate`,
    ]);
    expect(eventsOf(event('account.disabled'))).to.deep.equal({ [`${PROV}:deactivate`]: {} });
    expect(eventsOf(event('account.deleted'))).to.deep.equal({ [`${PROV}:delete`]: {} });
    const op = (e: SetEventInput) =>
      (eventsOf(e)[`${PROV}:patch:full`]!.data as { Operations: unknown[] }).Operations[0];
    expect(op(event('entitlement.granted', { entitlement: 'admins' }))).to.deep.equal({
      op: 'add',
      path: 'entitlements',
      value: [{ value: 'admins' }],
    });
    expect(op(event('entitlement.revoked', { entitlement: 'say "hi"' }))).to.deep.equal({
      op: 'remove',
      path: 'entitlements[value eq "say \\"hi\\""]',
    });
    expect(() => setClaims(event('account.exploded'), signing)).to.throw(/no SCIM event/);
  });
});

describe('SCIM SET signing', function () {
  it('signs ES256 with typ secevent+jwt and the key id; a receiver verifies with the published JWKS', async function () {
    const claims = JSON.stringify(setClaims(event('account.created'), signing));
    const jws = await signSet(claims, signing);
    expect(decodeProtectedHeader(jws)).to.deep.equal({ alg: 'ES256', kid: signing.kid, typ: 'secevent+jwt' });
    const jwks = setJwks(signing, new Date());
    expect(JSON.stringify(jwks)).to.not.include('"d"'); // public halves only
    const { payload } = await jwtVerify(jws, createLocalJWKSet(jwks as never), {
      issuer: signing.issuer,
      audience: signing.audience,
      typ: 'secevent+jwt',
    });
    expect(payload).to.deep.equal(JSON.parse(claims));
    const other = { ...signing, ...newSetKey() };
    await expect(jwtVerify(jws, createLocalJWKSet(setJwks(other, new Date()) as never))).to.be.rejected;
  });

  it('rotates to a new key and publishes the previous public key for the overlap only', async function () {
    const now = new Date('2026-12-03T12:00:00Z');
    const rotated = rotatedSetSigning(signing, 3_600_000, now);
    expect(rotated.kid).to.not.equal(signing.kid);
    expect(rotated.previousUntil).to.equal('2026-12-03T13:00:00.000Z');
    expect(setJwks(rotated, now).keys.map((k) => k.kid)).to.deep.equal([rotated.kid, signing.kid]);
    expect(setJwks(rotated, new Date('2026-12-03T13:00:00Z')).keys.map((k) => k.kid)).to.deep.equal([rotated.kid]);
    expect(rotatedSetSigning(rotated, 0, now)).to.not.have.property('previousPublicJwk');
    const jws = await signSet('{"jti":"x"}', rotated);
    expect(decodeProtectedHeader(jws).kid).to.equal(rotated.kid);
  });

  it("reads an RFC 8935 error answer's err and description", function () {
    expect(setErrorOf('{"err":"invalid_key","description":"unknown kid"}')).to.equal('invalid_key: unknown kid');
    expect(setErrorOf('{"err":"invalid_audience"}')).to.equal('invalid_audience');
    for (const other of ['', 'oops', '{"error":"x"}', '[]']) expect(setErrorOf(other), other).to.equal(undefined);
  });
});

describe('scim-set webhook app flags', function () {
  const base = { url: 'https://app.example/set', format: 'scim-set', deadLetterAfter: '24h' };

  it('makes a key, the issuer (the API by default) and the audience (the endpoint by default); no secret', function () {
    const made = webhookConfig(base, 'https://scimflow.example');
    expect(made.generated).to.equal(undefined);
    expect(made.config.format).to.equal('scim-set');
    expect(made.config).to.have.nested.property('set.issuer', 'https://scimflow.example');
    expect(made.config).to.have.nested.property('set.audience', 'https://app.example/set');
    expect(made.config)
      .to.have.nested.property('set.privateKey')
      .that.match(/BEGIN PRIVATE KEY/);
    const given = webhookConfig({ ...base, issuer: 'iss-x', audience: 'aud-y', token: 't0k' }, 'unused');
    expect(given.config).to.deep.include({ token: 't0k' });
    expect(given.config).to.have.nested.property('set.issuer', 'iss-x');
    expect(given.config).to.have.nested.property('set.audience', 'aud-y');
  });

  it('refuses a secret for scim-set, SET flags for standard webhooks, empty values and unknown formats', function () {
    expect(() => webhookConfig({ ...base, secret: 'whsec_x' }, 'i')).to.throw(/--secret is for --format standard/);
    expect(() => webhookConfig({ ...base, issuer: ' ' }, 'i')).to.throw(/--issuer must not be empty/);
    for (const flag of ['issuer', 'audience', 'token'])
      expect(() => webhookConfig({ ...base, format: 'standard-webhooks', [flag]: 'x' }, 'i'), flag).to.throw(
        /are for --format scim-set/,
      );
    expect(() => webhookConfig({ ...base, format: 'cloudevents' }, 'i')).to.throw(/--format must be/);
  });

  it('rotates a scim-set app by key, not by secret', function () {
    const { config } = webhookConfig(base, 'https://scimflow.example');
    const rotated = rotatedWebhook(config, 60_000);
    expect(rotated.secret).to.equal(undefined);
    expect(rotated.set?.kid).to.not.equal((config as { set: { kid: string } }).set.kid);
  });
});

describe('change source', function () {
  it('tells the IdP, HR, policy, reconciliation and operators apart by the log event', function () {
    expect(changeSource('created', {})).to.equal('idp');
    expect(changeSource('membership', {})).to.equal('idp');
    expect(changeSource('hr.leaver', {})).to.equal('hr');
    expect(changeSource('hr', {})).to.equal('hr');
    expect(changeSource('policy', {})).to.equal('policy');
    expect(changeSource('app', {})).to.equal('policy');
    expect(changeSource('resync', { reason: 'reconcile' })).to.equal('reconcile');
    expect(changeSource('resync', {})).to.equal('operator');
    expect(changeSource('nhi', {})).to.equal('operator');
    expect(changeSource('nhi.revoked', { nhi: 'owner-left' })).to.equal('hr');
  });
});

describe('group events', function () {
  const app = { id: 'app-1', name: 'hooks' };
  const set = { issuer: 'https://scimflow.example', audience: 'https://app.example/set', ...newSetKey() };
  const configOf = (format: 'standard-webhooks' | 'scim-set') =>
    WebhookAppConfigSchema.parse(
      format === 'scim-set'
        ? { url: 'https://app.example/set', format, set }
        : { url: 'https://app.example/h', webhook: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' } },
    );
  const logEvent = (type: GroupEventType, seq: number): GroupLogEvent => ({
    directoryId: 'dir-1',
    seq,
    type,
    source: 'idp',
    group: { id: 'g-1', displayName: 'Eng' },
    ...(type.startsWith('group.member') ? { member: { identityId: 'u-1', accountId: 'acc-1' } } : {}),
  });

  it('names each log event once per app, about group:<id>, converging to its log seq', function () {
    const a = groupWebhookEvent(app, configOf('standard-webhooks'), logEvent('group.created', 7));
    expect(a).to.include({ type: 'group.created', subject: 'group:g-1', changeSeq: 7 });
    expect(groupWebhookEvent(app, configOf('standard-webhooks'), logEvent('group.created', 7)).eventId).to.equal(
      a.eventId,
    );
    expect(
      groupWebhookEvent({ ...app, id: 'app-2' }, configOf('standard-webhooks'), logEvent('group.created', 7)).eventId,
    ).to.not.equal(a.eventId);
    const body = JSON.parse(a.build(1, '2026-12-03T12:00:00.000Z')) as { data: Record<string, unknown> };
    expect(body.data).to.deep.include({
      logSeq: 7,
      sequence: 1,
      source: 'idp',
      group: { id: 'g-1', displayName: 'Eng' },
    });
  });

  it('as SETs: create:full Group, a PatchOp of its own attributes (members kept), members by account id, delete', function () {
    const eventsOf = (type: GroupEventType) =>
      JSON.parse(
        groupWebhookEvent(app, configOf('scim-set'), logEvent(type, 3)).build(2, '2026-12-03T12:00:00.000Z'),
      ) as {
        sub_id: unknown;
        events: Record<string, { data?: { Operations?: unknown[] } }>;
      };
    const created = eventsOf('group.created');
    expect(created.sub_id).to.deep.equal({ format: 'scim', uri: '/Groups/g-1', id: 'g-1' });
    expect(Object.keys(created.events)).to.deep.equal([`${PROV}:create:full`]);
    expect(eventsOf('group.updated').events[`${PROV}:patch:full`]!.data!.Operations).to.deep.equal([
      { op: 'replace', path: 'displayName', value: 'Eng' },
    ]);
    expect(eventsOf('group.member.removed').events[`${PROV}:patch:full`]!.data!.Operations).to.deep.equal([
      { op: 'remove', path: 'members[value eq "acc-1"]' },
    ]);
    expect(eventsOf('group.deleted').events).to.deep.equal({ [`${PROV}:delete`]: {} });
  });
});
