// test/integration/scim-set-app.test.ts: a webhook app in `--format scim-set`: SCIM Security Event Tokens (RFC 9967)
// pushed per RFC 8935 to a receiver written from the RFCs (test/helpers/set-receiver.ts), with keys from our JWKS URL.
import { expect } from 'chai';
import { webhookConfig } from '../../cli/app-webhook';
import { cliEnv, runCli, runCliJson } from '../helpers/cli';
import { ADMIN_TOKEN } from '../helpers/leaver-world';
import type { SetReceiver } from '../helpers/set-receiver';
import { startSetReceiver } from '../helpers/set-receiver';
import type { Stack } from '../helpers/stack';
import { eventually, startStack } from '../helpers/stack';
import { scimUsers } from '../helpers/scim-users';

const PROV = 'urn:ietf:params:scim:event:prov';

describe('webhook apps in SCIM SET format (issue 15)', function () {
  let stack: Stack;
  let receiver: SetReceiver | undefined;

  before(async function () {
    stack = await startStack();
  });
  afterEach(async function () {
    await receiver?.stop();
    receiver = undefined;
  });
  after(async function () {
    await stack?.stop();
  });

  /**
   * A directory with one scim-set app whose users all get `reader`: the app is made as `app add` makes it, then pointed
   * at a receiver that knows only the issuer, the audience, the bearer token and our JWKS URL.
   */
  async function wire() {
    const { directory, token } = await stack.stores.directories.create({ name: 'set', dialect: 'generic' });
    const made = webhookConfig(
      { url: 'http://127.0.0.1:9/placeholder', format: 'scim-set', token: 'rcv-token', deadLetterAfter: '24h' },
      stack.baseUrl,
    );
    const config = { deprovision: 'disable', ...made.config };
    const app = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: 'sets',
      type: 'webhook',
      config,
    });
    receiver = await startSetReceiver({
      jwks: `${stack.baseUrl}/apps/${app.id}/jwks.json`,
      issuer: stack.baseUrl,
      audience: 'https://receiver.example/set',
      bearerToken: 'rcv-token',
    });
    const set = { ...(made.config as { set: Record<string, unknown> }).set, audience: 'https://receiver.example/set' };
    await stack.stores.directories.updateAppConfig(app.id, { ...config, url: receiver.url, set });
    await stack.stores.policies.put(directory.id, {
      baseline: 'all',
      rules: [{ name: 'all', grant: [{ app: 'sets', entitlements: ['reader'] }] }],
    });
    const { create, patch, createGroup, patchGroup, deleteGroup } = scimUsers(stack, directory.id, token);
    const applied = (id: string) => stack.stores.applied.get(directory.id, id, app.id);
    const user = async (id: string) => receiver!.users.get(`/Users/${(await applied(id))?.remoteId ?? ''}`);
    const setsOf = (id: string) =>
      receiver!.received.filter(
        (r) => r.status === 202 && !r.duplicate && (r.claims?.scimflow as { identityId?: string })?.identityId === id,
      );
    const groups = { createGroup, patchGroup, deleteGroup };
    return { directoryId: directory.id, appId: app.id, create, patch, applied, user, setsOf, ...groups };
  }

  const eventUris = (r: { claims?: Record<string, unknown> }) => Object.keys(r.claims?.events ?? {});

  it('pushes each change as a signed SET a receiver built from the RFCs applies; a revocation is verified by its 202', async function () {
    this.timeout(60_000);
    const w = await wire();
    const id = await w.create('ada@acme.test');
    await eventually(
      async () => ((await w.user(id))?.resource.entitlements as unknown[] | undefined)?.length === 1,
      20_000,
    );
    await w.patch(id, 'displayName', 'Ada Lovelace');
    await eventually(async () => (await w.user(id))?.resource.displayName === 'Ada Lovelace', 20_000);
    // put:full is a whole representation: the entitlement granted before stays with it.
    expect((await w.user(id))!.resource.entitlements).to.deep.equal([{ value: 'reader' }]);
    await w.patch(id, 'active', false);
    await eventually(async () => (await w.applied(id))?.revocationVerified === true, 20_000);
    await eventually(async () => (await w.applied(id))?.entitlements.length === 0, 20_000);

    expect(receiver!.violations).to.deep.equal([]);
    const sets = w.setsOf(id);
    expect(sets.map(eventUris)).to.deep.equal([
      [`${PROV}:create:full`],
      [`${PROV}:patch:full`],
      [`${PROV}:put:full`],
      [`${PROV}:deactivate`],
      [`${PROV}:patch:full`],
    ]);
    const remoteId = (await w.applied(id))!.remoteId!;
    for (const s of sets) {
      expect(s.claims).to.include({ iss: stack.baseUrl, aud: 'https://receiver.example/set' });
      expect(s.claims!.sub_id).to.deep.include({ format: 'scim', uri: `/Users/${remoteId}` });
      expect(s.claims!.txn).to.match(new RegExp(`^${w.directoryId}\\.\\d+$`));
      expect(s.claims!.scimflow).to.deep.include({ identityId: id, source: 'idp' });
    }
    expect(sets.map((s) => (s.claims!.scimflow as { sequence: number }).sequence)).to.deep.equal([1, 2, 3, 4, 5]);
    const user = (await w.user(id))!;
    expect(user).to.include({ active: false, deleted: false });
    expect(user.resource).to.include({ id: remoteId, userName: 'ada@acme.test', displayName: 'Ada Lovelace' });
    expect(user.resource.entitlements ?? []).to.deep.equal([]);
    // The time-to-revoke record is written once every app verified, a step after the applied state says so.
    await eventually(
      async () => (await stack.stores.applied.revocations(w.directoryId)).some((r) => r.identityId === id),
      20_000,
    );
    const deliveries = await stack.stores.webhooks.list(w.appId);
    expect(deliveries.every((d) => d.deliveredAt !== null && d.lastStatus === 202)).to.equal(true);
  });

  it('keeps order and loses nothing while the receiver is down; a refused grant is dead-lettered with its RFC 8935 error', async function () {
    this.timeout(90_000);
    const w = await wire();
    receiver!.setMode({ status: 503, retryAfter: 1 });
    const ids = await Promise.all([0, 1, 2].map((n) => w.create(`down${n}@acme.test`)));
    await new Promise((r) => setTimeout(r, 2_000));
    await Promise.all(ids.map((id) => w.patch(id, 'displayName', 'Back')));
    expect(receiver!.applied).to.deep.equal([]);
    receiver!.setMode('ok');
    for (const id of ids) await eventually(async () => (await w.user(id))?.resource.displayName === 'Back', 30_000);
    for (const id of ids) {
      const sequences = w.setsOf(id).map((s) => (s.claims!.scimflow as { sequence: number }).sequence);
      expect(sequences, 'first arrivals in sequence order').to.deep.equal([...sequences].sort((a, b) => a - b));
      expect(eventUris(w.setsOf(id)[0]!)).to.deep.equal([`${PROV}:create:full`]);
    }
    expect(new Set(receiver!.applied).size, 'each jti applied once').to.equal(receiver!.applied.length);
    expect(receiver!.violations).to.deep.equal([]);

    receiver!.setMode({ status: 400, err: 'invalid_request' });
    const refused = await w.create('refused@acme.test');
    await eventually(async () => (await stack.stores.webhooks.list(w.appId, { dead: true })).length > 0, 30_000);
    const dead = (await stack.stores.webhooks.list(w.appId, { dead: true }))[0]!;
    expect(dead.lastStatus).to.equal(400);
    expect(dead.lastError).to.include('invalid_request');
    expect(await w.user(refused)).to.equal(undefined);
  });

  it('adds a scim-set app from the CLI, publishes its public keys, and rotates them with an overlap', async function () {
    this.timeout(60_000);
    const env = cliEnv(stack);
    const { directory } = await stack.stores.directories.create({ name: 'cli-set', dialect: 'generic' });
    const base = ['app', 'add', '--directory', directory.id, '--type', 'webhook', '--reconcile-every', 'off'];
    const url = 'http://127.0.0.1:9/set';
    for (const args of [
      [...base, '--name', 'a', '--url', url, '--format', 'scim-set', '--secret', 'whsec_AAAA'],
      [...base, '--name', 'a', '--url', url, '--issuer', 'x'],
      [...base, '--name', 'a', '--url', url, '--format', 'cloudevents'],
      ['app', 'add', '--directory', directory.id, '--name', 'a', '--format', 'scim-set'],
    ]) {
      const res = await runCli(args, env);
      expect(res.code, args.join(' ')).to.equal(1);
      expect(res.stderr, args.join(' ')).to.match(/--secret|--issuer|--format/);
    }
    const added = await runCliJson(
      [...base, '--name', 'sets', '--url', url, '--format', 'scim-set', '--token', 'tk'],
      env,
    );
    expect(added).to.not.have.property('secret');
    expect(added).to.include({ audience: url });
    expect(added.jwksUrl).to.match(new RegExp(`/apps/${added.id}/jwks\\.json$`));
    const stored = (await stack.stores.directories.getApp(added.id))!.config as { set: { kid: string }; token: string };
    expect(stored.token).to.equal('tk');

    const shown = await runCliJson(['app', 'show', '--app', added.id], env);
    expect(shown).to.include({ format: 'scim-set', tokenSet: true });
    expect(JSON.stringify(shown)).to.not.match(/PRIVATE KEY|"d":|tk"/);
    const jwks = async (appId: string) => {
      const res = await fetch(`${stack.baseUrl}/apps/${appId}/jwks.json`);
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as never };
    };
    const published = await jwks(added.id);
    expect(published.status).to.equal(200);
    expect(published.type).to.match(/application\/jwk-set\+json/);
    expect((published.body as { keys: { kid: string; d?: string }[] }).keys.map((k) => [k.kid, k.d])).to.deep.equal([
      [stored.set.kid, undefined],
    ]);

    const rotated = await runCliJson(['app', 'update', '--app', added.id, '--rotate-secret', '--overlap', '1h'], env);
    expect(rotated).to.not.have.property('secret');
    const kids = (rotated.jwks as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect(kids).to.have.length(2);
    expect(kids[1]).to.equal(stored.set.kid);
    expect(((await jwks(added.id)).body as { keys: unknown[] }).keys).to.have.length(2);

    const missing = await jwks('no-such-app');
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.include({ status: '404' });
    // A webhook app that signs with a secret has no public keys to publish.
    const hmac = await runCliJson([...base, '--name', 'hmac', '--url', url], env);
    expect((await jwks(hmac.id)).status).to.equal(404);
  });

  it('pushes group changes as SETs about /Groups, members by their account ids, which the receiver applies', async function () {
    this.timeout(60_000);
    const w = await wire();
    const [ada, bob] = [await w.create('ada@acme.test'), await w.create('bob@acme.test')];
    const gid = await w.createGroup('Engineering', [ada, bob]);
    await w.patchGroup(gid, [{ op: 'remove', path: `members[value eq "${bob}"]` }]);
    await w.patchGroup(gid, [{ op: 'replace', path: 'displayName', value: 'Eng' }]);
    await eventually(async () => (await w.applied(ada))?.remoteId && (await w.applied(bob))?.remoteId, 20_000);
    const uri = `/Groups/${gid}`;
    await eventually(() => (receiver!.users.get(uri)?.resource.members as unknown[] | undefined)?.length === 1, 20_000);
    const group = receiver!.users.get(uri)!;
    await eventually(() => receiver!.users.get(uri)?.resource.displayName === 'Eng', 20_000);
    expect(group.resource).to.include({ id: gid, displayName: 'Eng' });
    expect((group.resource.members as { value: string }[]).map((m) => m.value)).to.deep.equal([
      (await w.applied(ada))!.remoteId,
    ]);
    await w.deleteGroup(gid);
    await eventually(() => receiver!.users.get(uri)?.deleted === true, 20_000);
    expect(receiver!.violations).to.deep.equal([]);
    const groupSets = receiver!.received.filter((r) => (r.claims?.sub_id as { uri?: string })?.uri === uri);
    expect(groupSets.every((r) => r.status === 202)).to.equal(true);
    expect(eventUris(groupSets[0]!)).to.deep.equal([`${PROV}:create:full`]);
    expect(eventUris(groupSets.at(-1)!)).to.deep.equal([`${PROV}:delete`]);
  });

  it("tells the change's source: a policy change's grant says policy", async function () {
    this.timeout(60_000);
    const w = await wire();
    const id = await w.create('src@acme.test');
    await eventually(() => w.setsOf(id).length >= 2, 20_000);
    const policy = {
      baseline: 'all',
      rules: [{ name: 'all', grant: [{ app: 'sets', entitlements: ['reader', 'writer'] }] }],
    };
    const res = await fetch(`${stack.baseUrl}/admin/directories/${w.directoryId}/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(policy),
    });
    expect(res.status, await res.text()).to.equal(200);
    await eventually(() => w.setsOf(id).length >= 3, 20_000);
    const [created, granted, policyGrant] = w.setsOf(id).map((s) => s.claims!.scimflow as { source: string });
    expect([created!.source, granted!.source, policyGrant!.source]).to.deep.equal(['idp', 'idp', 'policy']);
    expect((await w.user(id))!.resource.entitlements).to.deep.equal([{ value: 'reader' }, { value: 'writer' }]);
  });
});
