// test/integration/webhook-ordering-window.test.ts: an older run's given-up attempt cannot build its event after a newer
// run's (it would reach the app under a newer sequence number with an older state): refused, never sent.
import { expect } from 'chai';
import type { Connector } from '../../connectors/connector';
import { DownstreamRejectedError } from '../../connectors/connector';
import { createWebhookConnector } from '../../connectors/webhook';
import { newWebhookSecret, WebhookAppConfigSchema } from '../../connectors/webhook-config';
import { StaleWebhookEventError } from '../../store/webhook-deliveries';
import type { TempStores } from '../helpers/temp-stores';
import { openTempStores, removeTempStores } from '../helpers/temp-stores';
import type { WebhookReceiver } from '../helpers/webhook-receiver';
import { startWebhookReceiver } from '../helpers/webhook-receiver';

describe('webhook ordering window', function () {
  let temp: TempStores;
  let receiver: WebhookReceiver;
  let connector: Connector;
  const app = { id: 'app-1', name: 'hooks' };
  const key = (seq: number, step: string) => `identity/dir-1/user-1/${seq}/${app.id}/${step}`;

  beforeEach(async function () {
    temp = await openTempStores('scimflow-webhook-window-');
    const secret = newWebhookSecret();
    receiver = await startWebhookReceiver([secret]);
    const config = WebhookAppConfigSchema.parse({ url: receiver.url, webhook: { secret } });
    connector = createWebhookConnector(temp.stores.localAccounts, temp.stores.webhooks, app, config);
  });
  afterEach(async function () {
    await receiver.stop();
    removeTempStores(temp);
  });

  const spec = (displayName: string) => ({ userName: 'ada@acme.test', active: true, displayName });

  it("refuses an older change's event built after a newer change's, and sends nothing for it", async function () {
    const account = await connector.createAccount(spec('Ada'), { idempotencyKey: key(3, 'create') });
    await connector.updateAccount(account.id, spec('Ada Newer'), { idempotencyKey: key(6, 'update') });
    await expect(
      connector.updateAccount(account.id, spec('Ada Older'), { idempotencyKey: key(5, 'update') }),
    ).to.be.rejectedWith(DownstreamRejectedError, /stale/);
    expect(
      receiver.applied.map((e) => [e.type, e.data.sequence, e.data.account.attributes?.displayName]),
    ).to.deep.equal([
      ['account.created', 1, 'Ada'],
      ['account.updated', 2, 'Ada Newer'],
    ]);
    expect(receiver.accounts.get(account.id)).to.include({ displayName: 'Ada Newer' });
  });

  it('still sends events of the same change, a retry of an event already built, and events with no change known', async function () {
    const account = await connector.createAccount(spec('Ada'), { idempotencyKey: key(4, 'create') });
    await connector.grantEntitlement(account.id, 'reader', { idempotencyKey: key(4, 'grant') });
    await connector.updateAccount(account.id, spec('Ada 2'), { idempotencyKey: 'reconcile/run-1/x' });
    expect(receiver.applied.map((e) => e.type)).to.deep.equal([
      'account.created',
      'entitlement.granted',
      'account.updated',
    ]);
    const built = await temp.stores.webhooks.list(app.id, { remoteId: account.id });
    expect(built.map((d) => d.changeSeq).sort()).to.deep.equal([0, 4, 4]);
    // The store answers a retry of an event it already built with that event, whatever came after it.
    const first = built.find((d) => d.type === 'account.created')!;
    const again = await temp.stores.webhooks.prepare({ ...first, changeSeq: 1 }, () => 'never built');
    expect(again.body).to.equal(first.body);
    await expect(
      temp.stores.webhooks.prepare({ ...first, eventId: 'msg_other', changeSeq: 1 }, () => '{}'),
    ).to.be.rejectedWith(StaleWebhookEventError);
  });
});
