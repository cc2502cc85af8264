// test/integration/connectors/scim-outbound.test.ts: the outbound SCIM connector against the real scim2-server.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { AccountSpec, Connector } from '../../../connectors/connector';
import { DownstreamRejectedError, DownstreamUnavailableError } from '../../../connectors/connector';
import { createScimConnector } from '../../../connectors/scim-outbound';
import type { Scim2Server } from '../../helpers/scim2-server';
import { freePort, startScim2Server } from '../../helpers/scim2-server';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** What the app stores, as read straight from it (only the parts the assertions look at are typed). */
type StoredResource = Record<string, unknown> & { id: string; members?: Array<{ value: string }> };
interface ListResponse {
  totalResults: number;
  Resources: StoredResource[];
}

describe('scim-outbound connector against scim2-server', function () {
  let server: Scim2Server;
  let connector: Connector;
  let run = 0;
  const key = () => `identity/dir/id-${randomUUID()}/1/step-${++run}`;
  const spec = (overrides: Partial<AccountSpec> = {}): AccountSpec => ({
    userName: `user-${randomUUID()}@example.com`,
    externalId: `ext-${randomUUID()}`,
    active: true,
    displayName: 'Ada Lovelace',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    ...overrides,
  });

  /** Talks to the app directly, as its own admin would, to check what the connector really left there. */
  async function app<T = StoredResource>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await fetch(`${server.baseUrl}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/scim+json' },
    });
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: HTTP ${response.status}`);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
  const usersNamed = async (userName: string) =>
    app<ListResponse>(`/Users?filter=${encodeURIComponent(`userName eq ${JSON.stringify(userName)}`)}`);

  const createDirectly = (userName: string) =>
    app('/Users', { method: 'POST', body: JSON.stringify({ schemas: [USER_SCHEMA], userName }) });
  const patchTitle = (title: string) => ({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [{ op: 'replace', path: 'title', value: title }],
  });
  /** A fetch that lets `interfere` act on the app just before the first request with this method goes out. */
  function beforeFirst(method: string, interfere: () => Promise<unknown>): typeof fetch {
    let done = false;
    return async (url, init) => {
      if (!done && init?.method === method) {
        done = true;
        await interfere();
      }
      return fetch(url, init);
    };
  }

  before(async function () {
    this.timeout(300_000); // a cold install of scim2-server into the cache
    server = await startScim2Server();
    connector = createScimConnector({ url: `${server.baseUrl}/`, token: server.token, timeoutMs: 10_000 });
  });

  after(async () => {
    await server?.stop();
  });

  it('creates an account that reads back with the attributes of the spec', async () => {
    const wanted = spec();
    const created = await connector.createAccount(wanted, { idempotencyKey: key() });

    expect(await connector.getAccount(created.id)).to.deep.equal({
      id: created.id,
      userName: wanted.userName,
      externalId: wanted.externalId,
      active: true,
    });
    const stored = await app(`/Users/${created.id}`);
    expect(stored.name).to.deep.equal({ givenName: 'Ada', familyName: 'Lovelace' });
    expect(stored.emails).to.deep.equal(wanted.emails);
    expect(stored.displayName).to.equal('Ada Lovelace');
  });

  it("answers a second create of the same userName with a 409 and keeps one account (adoption is the caller's)", async () => {
    const wanted = spec();
    await connector.createAccount(wanted, { idempotencyKey: key() });

    await expect(
      connector.createAccount({ ...wanted, userName: wanted.userName.toUpperCase() }, { idempotencyKey: key() }),
    )
      .to.be.rejectedWith(DownstreamRejectedError)
      .and.eventually.have.property('status', 409);
    expect((await usersNamed(wanted.userName)).totalResults).to.equal(1);
  });

  it('finds an account the app already had and updates it, keeping the attributes scimflow does not manage', async () => {
    const wanted = spec({ externalId: undefined });
    const existing = await app('/Users', {
      method: 'POST',
      body: JSON.stringify({
        schemas: [USER_SCHEMA],
        userName: wanted.userName.toUpperCase(),
        title: 'Countess',
        active: false,
      }),
    });

    const [found, ...others] = await connector.searchAccounts('userName', wanted.userName);
    expect(others).to.deep.equal([]);
    expect(found?.id).to.equal(existing.id);
    const adopted = await connector.updateAccount(found!.id, wanted, { idempotencyKey: key() });

    expect(adopted.active).to.equal(true);
    expect(await app(`/Users/${existing.id}`)).to.include({
      userName: wanted.userName,
      title: 'Countess',
      displayName: 'Ada Lovelace',
      active: true,
    });
  });

  it("re-reads and merges again when the app's copy changes between our read and our PUT (If-Match 412)", async () => {
    const created = await connector.createAccount(spec(), { idempotencyKey: key() });
    const concurrentEdit = () =>
      app(`/Users/${created.id}`, { method: 'PATCH', body: JSON.stringify(patchTitle('Countess')) });
    const racing = createScimConnector(
      { url: server.baseUrl, token: server.token },
      { fetch: beforeFirst('PUT', concurrentEdit) },
    );

    await racing.updateAccount(created.id, spec({ userName: created.userName, active: false }), {
      idempotencyKey: key(),
    });

    expect(await app(`/Users/${created.id}`)).to.include({ title: 'Countess', active: false });
  });

  it('searches accounts by externalId and by userName case-insensitively, returning every match', async () => {
    const wanted = spec();
    const created = await connector.createAccount(wanted, { idempotencyKey: key() });

    const byExternalId = await connector.searchAccounts('externalId', wanted.externalId!);
    const byUserName = await connector.searchAccounts('userName', wanted.userName.toUpperCase());

    expect(byExternalId.map((a) => a.id)).to.deep.equal([created.id]);
    expect(byUserName.map((a) => a.id)).to.deep.equal([created.id]);
    expect(await connector.searchAccounts('userName', `nobody-${randomUUID()}@example.com`)).to.deep.equal([]);
  });

  it('answers a create that raced another writer (409 uniqueness) with a 409 rejection the step resolves by matching', async () => {
    const wanted = spec();
    let ownId: string | undefined;
    // The other writer acts just before our POST reaches the app, so the app answers 409 uniqueness.
    const racing = createScimConnector(
      { url: server.baseUrl, token: server.token },
      {
        fetch: beforeFirst('POST', () =>
          createDirectly(wanted.userName).then((u) => (ownId = (u as { id: string }).id)),
        ),
      },
    );

    const failure = await racing.createAccount(wanted, { idempotencyKey: key() }).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(failure).to.be.an.instanceOf(DownstreamRejectedError).with.property('status', 409);
    expect((await racing.searchAccounts('userName', wanted.userName)).map((a) => a.id)).to.deep.equal([ownId]);
  });

  it('escapes quotes and backslashes in the userName filter', async () => {
    const wanted = spec({ userName: `o"brien\\${randomUUID()}@example.com`, externalId: undefined });
    const created = await connector.createAccount(wanted, { idempotencyKey: key() });

    expect((await connector.searchAccounts('userName', wanted.userName)).map((a) => a.id)).to.deep.equal([created.id]);
  });

  it('disables an account without touching its other attributes, and reads it back disabled', async () => {
    const created = await connector.createAccount(spec(), { idempotencyKey: key() });
    await app(`/Users/${created.id}`, { method: 'PATCH', body: JSON.stringify(patchTitle('Countess')) });

    const disabled = await connector.disableAccount(created.id, { idempotencyKey: key() });

    expect(disabled).to.include({ id: created.id, active: false });
    expect(await app(`/Users/${created.id}`)).to.include({
      active: false,
      title: 'Countess',
      displayName: 'Ada Lovelace',
    });
    expect(await connector.disableAccount(`no-such-${randomUUID()}`, { idempotencyKey: key() })).to.equal(undefined);
  });

  it('updates attributes and deactivates, then reactivates, as the app reads them back', async () => {
    const created = await connector.createAccount(spec(), { idempotencyKey: key() });
    const changed = spec({
      userName: created.userName,
      externalId: created.externalId,
      displayName: 'Ada King',
      active: false,
    });

    const updated = await connector.updateAccount(created.id, changed, { idempotencyKey: key() });

    expect(updated.active).to.equal(false);
    const stored = await app(`/Users/${created.id}`);
    expect(stored).to.include({ active: false, displayName: 'Ada King' });
    await connector.updateAccount(created.id, { ...changed, active: true }, { idempotencyKey: key() });
    expect((await app(`/Users/${created.id}`)).active).to.equal(true);
  });

  it('refuses to update an account the app does not have', async () => {
    await expect(connector.updateAccount('no-such-id', spec(), { idempotencyKey: key() })).to.be.rejectedWith(
      DownstreamRejectedError,
    );
  });

  it('deletes an account, and deleting it again succeeds', async () => {
    const created = await connector.createAccount(spec(), { idempotencyKey: key() });

    await connector.deleteAccount(created.id, { idempotencyKey: key() });

    expect(await connector.getAccount(created.id)).to.equal(undefined);
    await connector.deleteAccount(created.id, { idempotencyKey: key() });
    expect(await connector.getAccount(created.id)).to.equal(undefined);
  });

  it('grants and revokes an app group idempotently', async () => {
    const entitlement = `Engineering ${randomUUID()}`;
    const created = await connector.createAccount(spec(), { idempotencyKey: key() });

    await connector.grantEntitlement(created.id, entitlement, { idempotencyKey: key() });
    await connector.grantEntitlement(created.id, entitlement, { idempotencyKey: key() });

    expect(await connector.heldEntitlements(created.id, [entitlement, 'Other'])).to.deep.equal([entitlement]);
    const groups = await app<ListResponse>(
      `/Groups?filter=${encodeURIComponent(`displayName eq ${JSON.stringify(entitlement)}`)}`,
    );
    expect(groups.totalResults).to.equal(1);
    expect(groups.Resources[0]!.members?.map((member) => member.value)).to.deep.equal([created.id]);

    await connector.revokeEntitlement(created.id, entitlement, { idempotencyKey: key() });
    await connector.revokeEntitlement(created.id, entitlement, { idempotencyKey: key() });

    expect(await connector.heldEntitlements(created.id, [entitlement])).to.deep.equal([]);
    expect((await app(`/Groups/${groups.Resources[0]!.id}`)).members ?? []).to.deep.equal([]);
  });

  it('refuses to grant a group to an account the app no longer has', async () => {
    const created = await connector.createAccount(spec(), { idempotencyKey: key() });
    await connector.deleteAccount(created.id, { idempotencyKey: key() });

    await expect(connector.grantEntitlement(created.id, 'Engineering', { idempotencyKey: key() }))
      .to.be.rejectedWith(DownstreamRejectedError)
      .and.eventually.have.property('status', 404);
  });

  it('treats revoking a group the app does not have as already revoked', async () => {
    const created = await connector.createAccount(spec(), { idempotencyKey: key() });

    const missing = `Missing ${randomUUID()}`;
    await connector.revokeEntitlement(created.id, missing, { idempotencyKey: key() });

    expect(await connector.heldEntitlements(created.id, [missing])).to.deep.equal([]);
  });

  it('grants and revokes roles idempotently in roles mode', async () => {
    const roles = createScimConnector({ url: server.baseUrl, token: server.token, entitlementMode: 'roles' });
    const created = await roles.createAccount(spec(), { idempotencyKey: key() });

    await roles.grantEntitlement(created.id, 'admin', { idempotencyKey: key() });
    await roles.grantEntitlement(created.id, 'admin', { idempotencyKey: key() });
    expect(await roles.heldEntitlements(created.id, ['admin', 'auditor'])).to.deep.equal(['admin']);

    await roles.revokeEntitlement(created.id, 'admin', { idempotencyKey: key() });
    await roles.revokeEntitlement(created.id, 'admin', { idempotencyKey: key() });
    expect(await roles.heldEntitlements(created.id, ['admin'])).to.deep.equal([]);
  });

  it('rejects a wrong token as a permanent failure', async () => {
    const wrong = createScimConnector({ url: server.baseUrl, token: 'not-the-token' });

    await expect(wrong.searchAccounts('userName', 'anyone@example.com'))
      .to.be.rejectedWith(DownstreamRejectedError, 'HTTP 401')
      .and.eventually.have.property('status', 401);
  });

  it('reports a refused connection as a transient failure', async () => {
    const closed = createScimConnector({ url: `http://127.0.0.1:${await freePort()}/v2`, token: 'token' });

    await expect(closed.createAccount(spec(), { idempotencyKey: key() })).to.be.rejectedWith(
      DownstreamUnavailableError,
      'ECONNREFUSED',
    );
  });
});
