// test/unit/connectors/scim-outbound-errors.test.ts: status → connector error mapping, Retry-After, headers, over a fake fetch.
import { expect } from 'chai';
import { DownstreamRejectedError, DownstreamUnavailableError } from '../../../connectors/connector';
import { createScimConnector } from '../../../connectors/scim-outbound';
import { parseRetryAfter, toConnectorError } from '../../../connectors/scim-outbound-http';

const TOKEN = 's3cret-token';
const options = { idempotencyKey: 'identity/d/i/7/grant-x' };

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
}

/** A fetch that records each request and answers with the next canned response. */
function fakeFetch(...responses: Array<() => Response | Promise<Response>>) {
  const sent: Sent[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    sent.push({ url, method: init?.method ?? 'GET', headers: { ...(init?.headers as Record<string, string>) } });
    const next = responses.shift();
    if (!next) throw new Error(`unexpected request ${init?.method} ${url}`);
    return next();
  };
  return { sent, fetchImpl };
}

const status =
  (code: number, headers: Record<string, string> = {}, body = '') =>
  () =>
    new Response(body === '' ? null : body, { status: code, headers });

const connectorWith = (fetchImpl: typeof fetch, timeoutMs = 1_000) =>
  createScimConnector({ url: 'https://app.example.com/scim/v2/', token: TOKEN, timeoutMs }, { fetch: fetchImpl });

describe('scim-outbound error mapping', () => {
  for (const code of [400, 401, 403, 404, 405, 409, 413, 415, 422, 302]) {
    it(`maps HTTP ${code} to a DownstreamRejectedError that Temporal does not retry`, () => {
      const error = toConnectorError('PUT /Users', code, new Headers(), '');
      expect(error).to.be.instanceOf(DownstreamRejectedError);
      expect(error.status).to.equal(code);
    });
  }

  for (const code of [408, 412, 429, 500, 502, 503, 504]) {
    it(`maps HTTP ${code} to a DownstreamUnavailableError that Temporal retries`, () => {
      const error = toConnectorError('PUT /Users', code, new Headers({ 'Retry-After': '3' }), '');
      expect(error).to.be.instanceOf(DownstreamUnavailableError);
      expect(error).to.include({ status: code, retryAfterMs: 3_000 });
    });
  }

  it("puts the app's scimType and detail in the message", () => {
    const body = JSON.stringify({ status: '409', scimType: 'uniqueness', detail: 'userName taken' });
    expect(toConnectorError('POST /Users', 409, new Headers(), body).message).to.equal(
      'POST /Users: HTTP 409 (uniqueness: userName taken)',
    );
  });

  describe('parseRetryAfter', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');

    it('reads delay-seconds', () => {
      expect(parseRetryAfter('120', now)).to.equal(120_000);
      expect(parseRetryAfter(' 0 ', now)).to.equal(0);
    });

    it('reads an HTTP-date as the time left until it', () => {
      expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).to.equal(30_000);
    });

    it('reads an HTTP-date in the past as no delay', () => {
      expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).to.equal(0);
    });

    it('ignores a missing or malformed value', () => {
      for (const value of [null, undefined, '', 'soon', '-5', '1.5', 'Thu, 99 Foo 2026']) {
        expect(parseRetryAfter(value, now), String(value)).to.equal(undefined);
      }
    });
  });

  describe('through the connector', () => {
    it('surfaces a 503 with its Retry-After as a transient failure', async () => {
      const { fetchImpl } = fakeFetch(status(503, { 'Retry-After': '7' }));

      await expect(connectorWith(fetchImpl).getAccount('u1'))
        .to.be.rejectedWith(DownstreamUnavailableError, 'GET /Users/u1: HTTP 503')
        .and.eventually.include({ status: 503, retryAfterMs: 7_000 });
    });

    it('reports a network error as a transient failure naming its cause', async () => {
      const refused = () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
      const { fetchImpl } = fakeFetch(refused);

      await expect(connectorWith(fetchImpl).deleteAccount('u1', options)).to.be.rejectedWith(
        DownstreamUnavailableError,
        'DELETE /Users/u1: fetch failed (ECONNREFUSED)',
      );
    });

    it('gives up on an app that does not answer within timeoutMs', async () => {
      const hang = (_url: string, init?: RequestInit) =>
        new Promise<Response>((_resolve, reject) =>
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)),
        );

      await expect(connectorWith(hang as unknown as typeof fetch, 50).getAccount('u1')).to.be.rejectedWith(
        DownstreamUnavailableError,
        'no answer within 50 ms',
      );
    });

    it('treats a 404 on delete as already deleted and on read as no account', async () => {
      const { fetchImpl } = fakeFetch(status(404), status(404));
      const connector = connectorWith(fetchImpl);

      await connector.deleteAccount('gone', options);
      expect(await connector.getAccount('gone')).to.equal(undefined);
    });

    it('refuses a 2xx whose body is not JSON', async () => {
      const { fetchImpl } = fakeFetch(status(200, {}, '<html>login</html>'));

      await expect(connectorWith(fetchImpl).getAccount('u1')).to.be.rejectedWith(DownstreamRejectedError, 'not JSON');
    });

    it('sends the SCIM headers, the bearer token and a key derived from the idempotency key on a write', async () => {
      const { sent, fetchImpl } = fakeFetch(status(204));

      await connectorWith(fetchImpl).deleteAccount('u/1', options);

      expect(sent).to.have.length(1);
      expect(sent[0]).to.deep.include({ url: 'https://app.example.com/scim/v2/Users/u%2F1', method: 'DELETE' });
      expect(sent[0]!.headers).to.deep.equal({
        Authorization: `Bearer ${TOKEN}`,
        'Content-Type': 'application/scim+json',
        Accept: 'application/scim+json',
        'Idempotency-Key': `${options.idempotencyKey}/delete-user`,
      });
    });

    it('never puts the token in an error message, even when the app echoes it', async () => {
      const echo = JSON.stringify({ status: '401', detail: `bad token ${TOKEN}` });
      const { fetchImpl } = fakeFetch(status(401, {}, echo));

      const error = await connectorWith(fetchImpl)
        .getAccount('u1')
        .catch((err: Error) => err);

      expect(error).to.be.instanceOf(DownstreamRejectedError);
      expect((error as Error).message).to.equal('GET /Users/u1: HTTP 401 (bad token [redacted])');
    });
  });
});
