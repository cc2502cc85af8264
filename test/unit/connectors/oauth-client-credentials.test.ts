// test/unit/connectors/oauth-client-credentials.test.ts: the token cache's rules, with a fake token endpoint (pure logic).
import { expect } from 'chai';
import { DownstreamRejectedError, DownstreamUnavailableError } from '../../../connectors/connector';
import { createClientCredentials } from '../../../connectors/oauth-client-credentials';

const CONFIG = { tokenUrl: 'https://idp.example/token', clientId: 'id', clientSecret: 'secret', scope: 'scim' };

function endpoint(answers: { status: number; body: unknown }[]) {
  const calls: { body: string; authorization: string }[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    calls.push({ body: init.body as string, authorization: (init.headers as Record<string, string>).Authorization! });
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

describe('OAuth client credentials', function () {
  it('asks once for concurrent callers, with Basic client authentication and the scope, and caches', async function () {
    const { calls, fetchImpl } = endpoint([{ status: 200, body: { access_token: 't1', expires_in: 3600 } }]);
    const source = createClientCredentials(CONFIG, 1000, fetchImpl);
    expect(await Promise.all([source.token(), source.token(), source.token()])).to.deep.equal(['t1', 't1', 't1']);
    expect(await source.token()).to.equal('t1');
    expect(calls).to.deep.equal([
      {
        body: 'grant_type=client_credentials&scope=scim',
        authorization: `Basic ${Buffer.from('id:secret').toString('base64')}`,
      },
    ]);
  });

  it('refreshes before expiry (30 s early, or at half life) and after an invalidation', async function () {
    let now = 0;
    const { calls, fetchImpl } = endpoint([
      { status: 200, body: { access_token: 't1', expires_in: 60 } },
      { status: 200, body: { access_token: 't2', expires_in: 60 } },
      { status: 200, body: { access_token: 't3', expires_in: 60 } },
    ]);
    const source = createClientCredentials(CONFIG, 1000, fetchImpl, () => now);
    expect(await source.token()).to.equal('t1');
    now = 29_999;
    expect(await source.token()).to.equal('t1');
    now = 30_000;
    expect(await source.token()).to.equal('t2');
    source.invalidate('t1'); // an old token: nothing happens
    expect(await source.token()).to.equal('t2');
    source.invalidate('t2');
    expect(await source.token()).to.equal('t3');
    expect(calls).to.have.length(3);
  });

  it('makes a refusal permanent (naming the OAuth error, never the secret) and a 5xx transient', async function () {
    const refused = createClientCredentials(
      CONFIG,
      1000,
      endpoint([{ status: 401, body: { error: 'invalid_client' } }]).fetchImpl,
    );
    const error = await refused.token().catch((err: unknown) => err);
    expect(error).to.be.an.instanceOf(DownstreamRejectedError);
    expect((error as Error).message).to.equal(
      'token endpoint refused the client credentials: HTTP 401 (invalid_client)',
    );
    const down = createClientCredentials(CONFIG, 1000, endpoint([{ status: 503, body: {} }]).fetchImpl);
    await expect(down.token()).to.be.rejectedWith(DownstreamUnavailableError, 'token endpoint: HTTP 503');
    const empty = createClientCredentials(CONFIG, 1000, endpoint([{ status: 200, body: { token: 'x' } }]).fetchImpl);
    await expect(empty.token()).to.be.rejectedWith(DownstreamRejectedError, 'no access_token');
  });
});
