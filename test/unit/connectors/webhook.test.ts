// test/unit/connectors/webhook.test.ts: webhook signing (secrets in use, rotation overlap) and the CLI's webhook flags.
import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { parseDeadLetterAfter, parseOverlap, rotatedWebhook, webhookConfig } from '../../../cli/app-webhook';
import { newWebhookSecret, signatureHeader, signingSecrets } from '../../../connectors/webhook-config';
import { parseAccountStatus } from '../../../connectors/webhook-status';

describe('webhook signing', function () {
  const now = new Date('2026-12-03T12:00:00Z');

  it('signs with the previous secret too until its overlap ends, then with the current one only', function () {
    const current = newWebhookSecret();
    const previousSecret = newWebhookSecret();
    const until = '2026-12-03T13:00:00Z';
    expect(signingSecrets({ secret: current, previousSecret, previousUntil: until }, now)).to.deep.equal([
      current,
      previousSecret,
    ]);
    expect(signingSecrets({ secret: current, previousSecret, previousUntil: until }, new Date(until))).to.deep.equal([
      current,
    ]);
    expect(signingSecrets({ secret: current }, now)).to.deep.equal([current]);
  });

  it('writes one signature per secret, each verifiable by a Standard Webhooks receiver that knows only that one', function () {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const body = JSON.stringify({ id: 'msg_1', type: 'account.created' });
    const at = new Date();
    const header = signatureHeader([a, b], 'msg_1', at, body);
    expect(header.split(' ')).to.have.length(2);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': header,
    };
    for (const secret of [a, b]) expect(new Webhook(secret).verify(body, headers)).to.deep.equal(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).to.throw();
    expect(() => new Webhook(a).verify(`${body} `, headers), 'a changed body').to.throw();
  });
});

const ISSUER = 'https://scimflow.example';

describe('webhook app flags', function () {
  it('generates a secret when none is given and refuses one that is not whsec_ and base64', function () {
    const made = webhookConfig(
      { url: 'https://app.example/hooks', format: 'standard-webhooks', deadLetterAfter: '24h' },
      ISSUER,
    );
    expect(made.generated).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(made.config).to.deep.include({ url: 'https://app.example/hooks', deadLetterAfterSeconds: 86_400 });
    const given = newWebhookSecret();
    expect(
      webhookConfig(
        { url: 'http://127.0.0.1:9/h', format: 'standard-webhooks', secret: given, deadLetterAfter: '1m' },
        ISSUER,
      ),
    ).to.deep.include({ generated: undefined });
    for (const bad of ['secret', 'whsec_', 'whsec_!!!!', 'whsec_c2hvcnQ='])
      expect(
        () =>
          webhookConfig(
            { url: 'https://a.example/h', format: 'standard-webhooks', secret: bad, deadLetterAfter: '24h' },
            ISSUER,
          ),
        bad,
      ).to.throw(/--secret/);
    for (const url of [undefined, 'ftp://a.example/h', 'not a url'])
      expect(
        () => webhookConfig({ url, format: 'standard-webhooks', deadLetterAfter: '24h' }, ISSUER),
        String(url),
      ).to.throw(/--url|needs --url/);
  });

  it('bounds --overlap (0m–30d) and --dead-letter-after (1m–30d)', function () {
    expect(parseOverlap('0m')).to.equal(0);
    expect(parseOverlap('24h')).to.equal(86_400_000);
    expect(parseDeadLetterAfter('1m')).to.equal(60);
    expect(parseDeadLetterAfter('7d')).to.equal(604_800);
    for (const bad of ['31d', '1y', '-1h', '24', '']) expect(() => parseOverlap(bad), bad).to.throw(/--overlap/);
    for (const bad of ['30s', '31d', 'soon'])
      expect(() => parseDeadLetterAfter(bad), bad).to.throw(/--dead-letter-after/);
  });

  it('rotates to a new secret and keeps the old one signing for the overlap only', function () {
    const old = newWebhookSecret();
    const now = new Date('2026-12-03T12:00:00Z');
    const rotated = rotatedWebhook({ url: 'https://a.example/h', webhook: { secret: old } }, 3_600_000, now);
    expect(rotated.webhook).to.deep.equal({
      secret: rotated.secret,
      previousSecret: old,
      previousUntil: '2026-12-03T13:00:00.000Z',
    });
    const immediate = rotatedWebhook({ url: 'https://a.example/h', webhook: { secret: old } }, 0, now);
    expect(immediate.webhook).to.deep.equal({ secret: immediate.secret });
    expect(immediate.secret).to.not.equal(old);
  });
});

describe('webhook status answers', function () {
  it('reads active and entitlements as names or SCIM {value} objects, and says why anything else is not one', function () {
    expect(parseAccountStatus({ active: false })).to.deep.equal({ active: false, entitlements: [] });
    expect(parseAccountStatus({ active: true, entitlements: ['a', { value: 'b' }] })).to.deep.equal({
      active: true,
      entitlements: ['a', 'b'],
    });
    const scimUser = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: 'x',
      active: true,
      entitlements: [],
    };
    expect(parseAccountStatus(scimUser)).to.deep.equal({ active: true, entitlements: [] });
    expect(parseAccountStatus([])).to.match(/not a JSON object/);
    expect(parseAccountStatus(null)).to.match(/not a JSON object/);
    expect(parseAccountStatus({ active: 'yes' })).to.match(/boolean "active"/);
    expect(parseAccountStatus({ active: true, entitlements: 'a' })).to.match(/"entitlements"/);
    expect(parseAccountStatus({ active: true, entitlements: [{ name: 'a' }] })).to.match(/"entitlements"/);
  });
});
