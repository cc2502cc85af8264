// test/integration/oauth-app.test.ts: a SCIM app that wants OAuth 2.0 client credentials instead of a static token
// (issue 10): tokens fetched, cached, refreshed when they expire or are refused; a wrong secret fixed by `app update`.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import type { LimitedScimApp } from '../../testkit/limited-scim-app';
import { startLimitedScimApp } from '../../testkit/limited-scim-app';
import { cliEnv, runCliJson } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { eventually, scim, startStack } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/** A token endpoint (RFC 6749 §4.4): Basic client authentication, form body; hands out `tokens` in turn, then the last. */
async function startTokenServer(client: { id: string; secret: string }, tokens: string[], expiresIn: number) {
  const seen: { grantType: string | null; ok: boolean }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const [id, secret] = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
        .toString()
        .split(':')
        .map(decodeURIComponent);
      const grantType = new URLSearchParams(body).get('grant_type');
      const ok =
        req.method === 'POST' && id === client.id && secret === client.secret && grantType === 'client_credentials';
      seen.push({ grantType, ok });
      res.setHeader('content-type', 'application/json');
      if (!ok) {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: 'invalid_client' }));
        return;
      }
      const token = tokens[Math.min(seen.filter((s) => s.ok).length - 1, tokens.length - 1)];
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    seen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('OAuth 2.0 client credentials for a downstream app (issue 10)', function () {
  this.timeout(60_000);
  let stack: Stack;
  let env: Record<string, string>;
  let app: LimitedScimApp;
  const closers: (() => Promise<unknown>)[] = [];

  before(async function () {
    stack = await startStack();
    env = cliEnv(stack);
    app = await startLimitedScimApp({ token: 'good-token' });
  });
  after(async function () {
    for (const close of closers) await close();
    await app?.stop();
    await stack?.stop();
  });

  async function wire(name: string, tokenUrl: string, secret: string) {
    const { directory, token } = await stack.stores.directories.create({ name, dialect: 'generic' });
    const added = await runCliJson(
      [
        'app',
        'add',
        '--directory',
        directory.id,
        '--name',
        'crm',
        '--type',
        'scim',
        '--url',
        app.baseUrl,
        '--oauth-token-url',
        tokenUrl,
        '--client-id',
        'scimflow',
        '--client-secret',
        secret,
      ],
      env,
    );
    const createUser = async (userName: string) =>
      (await scim(stack.baseUrl, token, 'POST', `/scim/v2/${directory.id}/Users`, { schemas: [USER], userName })).body
        .id as string;
    const state = async (id: string) => (await stack.stores.applied.get(directory.id, id, added.id))?.state;
    return { directoryId: directory.id, appId: added.id as string, createUser, state };
  }

  it('fetches a token once, reuses it, fetches a new one when it expires, and never shows the secret', async function () {
    const tokens = await startTokenServer({ id: 'scimflow', secret: 's3cret-value' }, ['good-token'], 1);
    closers.push(tokens.close);
    const world = await wire('oauth', tokens.url, 's3cret-value');
    const first = await world.createUser('o1@acme.test');
    await eventually(async () => (await world.state(first)) === 'active', 20_000);
    // Several requests to the app (searches, the create), one token.
    expect(tokens.seen).to.deep.equal([{ grantType: 'client_credentials', ok: true }]);

    await delay(1_200); // the token (1 s) is past its refresh time
    const second = await world.createUser('o2@acme.test');
    await eventually(async () => (await world.state(second)) === 'active', 20_000);
    expect(tokens.seen.length).to.equal(2);

    const shown = await runCliJson(['app', 'show', '--app', world.appId], env);
    expect(shown).to.deep.include({ auth: 'oauth-client-credentials' });
    expect(shown.oauth).to.deep.equal({ tokenUrl: tokens.url, clientId: 'scimflow', scope: null, secretSet: true });
    expect(JSON.stringify(shown)).to.not.include('s3cret-value');
  });

  it('takes a new token when the app refuses the one it has (401), once', async function () {
    const tokens = await startTokenServer({ id: 'scimflow', secret: 'x' }, ['revoked-token', 'good-token'], 3600);
    closers.push(tokens.close);
    const world = await wire('oauth-401', tokens.url, 'x');
    app.clearRequests();
    const id = await world.createUser('o3@acme.test');
    await eventually(async () => (await world.state(id)) === 'active', 20_000);
    expect(tokens.seen.filter((s) => s.ok)).to.have.length(2);
    expect(app.requests[0]?.status).to.equal(401);
    expect(await stack.stores.applied.exceptions(world.directoryId)).to.deep.equal([]);
  });

  it('holds a refused client secret as an exception naming the token endpoint, fixed by app update and retry', async function () {
    const tokens = await startTokenServer({ id: 'scimflow', secret: 'right' }, ['good-token'], 3600);
    closers.push(tokens.close);
    const world = await wire('oauth-wrong', tokens.url, 'wrong-secret');
    const id = await world.createUser('o4@acme.test');
    const held = await eventually(async () => (await stack.stores.applied.exceptions(world.directoryId))[0], 20_000);
    expect(held.apps[0]).to.deep.include({ kind: 'exception' });
    expect(held.apps[0]!.reason).to.include('token endpoint refused the client credentials: HTTP 401 (invalid_client)');
    expect(JSON.stringify(held)).to.not.include('wrong-secret');

    await runCliJson(
      [
        'app',
        'update',
        '--app',
        world.appId,
        '--oauth-token-url',
        tokens.url,
        '--client-id',
        'scimflow',
        '--client-secret',
        'right',
      ],
      env,
    );
    await runCliJson(['retry', '--directory', world.directoryId, '--all'], env);
    await eventually(async () => (await world.state(id)) === 'active', 20_000);
  });
});
