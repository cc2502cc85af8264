// test/integration/metrics.test.ts: /metrics on the real stack: admin auth, SCIM request counts by route pattern,
// downstream call outcomes, lag, and the time-to-revoke histogram fed by a real leaver.
import { expect } from 'chai';
import type { LeaverWorld } from '../helpers/leaver-world';
import { ADMIN_TOKEN, wireWorld } from '../helpers/leaver-world';
import type { Stack } from '../helpers/stack';
import { eventually, startStack } from '../helpers/stack';
import { identityQuery, identityWorkflowId } from '../../workflows/contracts';
import { auditRecords } from '../../store';
import type { AuditRecord } from '../../store/applied-state';

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
    await eventually(async () => (await world.applied(id, 'crm'))?.state === 'active');
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

  it('carries the request id from the SCIM request to its event, the workflow and the audit trail', async function () {
    const requestId = 'idp-req-7f3a9c';
    const res = await fetch(`${stack.baseUrl}/scim/v2/${world.directoryId}/Users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${world.token}`,
        'content-type': 'application/scim+json',
        'x-request-id': requestId,
      },
      body: JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'traced@acme.test',
        active: true,
      }),
    });
    expect(res.status).to.equal(201);
    expect(res.headers.get('x-request-id')).to.equal(requestId);
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => (await world.applied(id, 'crm'))?.state === 'active');
    const [recorded] = await stack.stores.events.list(world.directoryId, { identityId: id });
    expect(recorded?.detail).to.include({ requestId });
    const view = await stack.client.workflow.getHandle(identityWorkflowId(world.directoryId, id)).query(identityQuery);
    expect(view.lastRequestId).to.equal(requestId);
    const created: AuditRecord[] = [];
    for await (const a of auditRecords(stack.stores, world.directoryId, { identityId: id }))
      if (a.appId !== undefined) created.push(a);
    expect(created).to.not.be.empty;
    for (const entry of created) expect(entry.requestId, entry.action).to.equal(requestId);
    // A request without a sane id gets one of ours, answered and recorded the same way.
    const other = await fetch(`${stack.baseUrl}/scim/v2/${world.directoryId}/Users?count=1`, {
      headers: { authorization: `Bearer ${world.token}`, 'x-request-id': 'bad id with spaces' },
    });
    expect(other.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });
});
