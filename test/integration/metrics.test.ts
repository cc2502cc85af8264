// test/integration/metrics.test.ts: /metrics on the real stack: admin auth, SCIM request counts by route pattern,
// downstream call outcomes, lag, and the time-to-revoke histogram fed by a real leaver.
import { expect } from 'chai';
import type { LeaverWorld } from '../helpers/leaver-world';
import { ADMIN_TOKEN, wireWorld } from '../helpers/leaver-world';
import type { Stack } from '../helpers/stack';
import { eventually, startStack } from '../helpers/stack';

describe('metrics (issue 14, first part)', function () {
  let stack: Stack;
  let world: LeaverWorld;

  before(async function () {
    stack = await startStack();
    world = await wireWorld(stack, { limited: [{ name: 'crm' }] });
  });
  after(async function () {
    await world?.stop();
    await stack?.stop();
  });

  const scrape = async (token?: string) => {
    const res = await fetch(`${stack.baseUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('needs the admin token', async function () {
    expect((await scrape()).status).to.equal(401);
    expect((await scrape('wrong-token-0123456789')).status).to.equal(401);
    const ok = await scrape(ADMIN_TOKEN);
    expect(ok.status).to.equal(200);
    expect(ok.type).to.match(/^text\/plain/);
  });

  it('counts SCIM requests by route pattern, app calls by outcome, and times a leaver’s revocation', async function () {
    const id = await world.createUser('metered@acme.test');
    await eventually(() => world.applied(id, 'crm')?.state === 'active');
    await world.deactivate(id);
    await eventually(() => world.revocationsRecorded([id]));
    const { text } = await scrape(ADMIN_TOKEN);
    const dir = world.directoryId;
    expect(
      value(text, 'scimflow_http_requests_total{route="/scim/v2/:directoryId/Users",method="POST",status="201"}'),
    ).to.be.at.least(1);
    expect(
      value(text, 'scimflow_http_requests_total{route="/scim/v2/:directoryId/Users/:id",method="PATCH",status="200"}'),
    ).to.be.at.least(1);
    expect(value(text, 'scimflow_app_calls_total{app="crm",outcome="answered"}')).to.be.at.least(2);
    expect(value(text, `scimflow_time_to_revoke_seconds_count{directory="${dir}"}`)).to.equal(1);
    expect(value(text, `scimflow_unprocessed_events{directory="${dir}"}`)).to.be.a('number');
    expect(value(text, `scimflow_open_exceptions{directory="${dir}"}`)).to.equal(0);
    expect(value(text, 'scimflow_app_circuit_open{app="crm"}')).to.equal(0);
    // No path of a real request (ids, tokens) becomes a label: patterns only.
    expect(text).to.not.include(id);
  });
});
