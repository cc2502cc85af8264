// test/integration/api-cluster.test.ts: `scimflow api` with API_PROCESSES=2: shared port, one writer, restart, stop.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { findFreePort, isPortFree } from '../../runtime/ports';
import { runCliJson, startCli } from '../helpers/cli';
import { sendRaw } from '../helpers/raw-http';
import type { RawResponse } from '../helpers/raw-http';
import { eventually } from '../helpers/stack';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Direct children of `pid` (the cluster's members), from /proc. */
function childPids(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('scimflow api with API_PROCESSES=2', function () {
  let dataDir: string;
  let env: Record<string, string>;
  let api: { child: ChildProcess; output: () => string };
  let dir: { id: string; token: string; scimBaseUrl: string };
  let origin: URL;

  before(async function () {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-cluster-'));
    env = {
      DATA_DIR: dataDir,
      PORT: String(await findFreePort()),
      API_PROCESSES: '2',
      // Nothing listens there: pokes fail and stay in the log for the relay, and no other test's worker sees them.
      TEMPORAL_ADDRESS: `127.0.0.1:${await findFreePort()}`,
    };
    dir = await runCliJson(['directory', 'create', '--name', 'cluster', '--idp', 'generic'], env);
    api = await startCli(['api'], env, 'with 2 processes');
    origin = new URL(`http://127.0.0.1:${env.PORT}`);
  });

  after(async function () {
    if (api.child.exitCode === null) {
      const exited = new Promise((resolve) => api.child.once('exit', resolve));
      api.child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // A new connection per request: the cluster hands connections to its members in turn, so both serve.
  const call = (method: string, suffix: string, body?: unknown): Promise<RawResponse> =>
    sendRaw(origin, {
      method,
      path: new URL(`${dir.scimBaseUrl}${suffix}`).pathname + new URL(`${dir.scimBaseUrl}${suffix}`).search,
      headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const findUser = (userName: string) =>
    call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);

  it('runs two member processes under the one it started', function () {
    expect(childPids(api.child.pid!)).to.have.length(2);
  });

  it('acknowledges writes from either member and every member reads them at once; events stay gapless and keep their request ids', async function () {
    const answeredIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await call('POST', '/Users', { schemas: [USER], userName: `c${i}@cluster.test` });
      expect(created.status, created.text + api.output()).to.equal(201);
      answeredIds.push(String(created.headers['x-request-id']));
      for (let r = 0; r < 2; r++) {
        const found = await findUser(`c${i}@cluster.test`);
        expect((found.json as { totalResults: number }).totalResults).to.equal(1);
      }
    }
    const events = await runCliJson<{ seq: number; kind: string; detail: { requestId?: string } }[]>(
      ['events', 'list', '--directory', dir.id],
      env,
    );
    expect(events.map((e) => e.seq)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
    // The id each request was answered with is the one its event recorded, whichever member took it (relayed too).
    expect(events.map((e) => e.detail.requestId)).to.deep.equal(answeredIds);
  });

  it('concurrent duplicate POSTs through both members: exactly one 201, the rest 409 uniqueness', async function () {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => call('POST', '/Users', { schemas: [USER], userName: 'dup@cluster.test' })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).to.deep.equal([201, ...new Array(9).fill(409)]);
    for (const a of answers.filter((x) => x.status === 409))
      expect((a.json as { scimType: string }).scimType).to.equal('uniqueness');
  });

  it('a PATCH through one member is what every member answers next, with the same ETag', async function () {
    const created = await call('POST', '/Users', { schemas: [USER], userName: 'patched@cluster.test' });
    const id = (created.json as { id: string }).id;
    const patched = await call('PATCH', `/Users/${id}`, {
      schemas: [PATCH_OP],
      Operations: [{ op: 'replace', path: 'displayName', value: 'After' }],
    });
    expect(patched.status).to.equal(200);
    const reads = await Promise.all([1, 2, 3, 4].map(() => call('GET', `/Users/${id}`)));
    for (const read of reads) {
      expect((read.json as { displayName: string }).displayName).to.equal('After');
      expect(read.headers.etag).to.equal(patched.headers.etag);
    }
  });

  it('replaces a member that dies and keeps serving reads and writes', async function () {
    const [, second] = childPids(api.child.pid!).sort((a, b) => a - b);
    process.kill(second!, 'SIGKILL');
    await eventually(() => api.output().includes('starting a new one'), 30_000);
    await eventually(() => childPids(api.child.pid!).length === 2 && !childPids(api.child.pid!).includes(second!));
    await eventually(async () => {
      const answers = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          call('POST', '/Users', { schemas: [USER], userName: `after-${Date.now()}-${i}@x.test` }),
        ),
      );
      return answers.every((a) => a.status === 201);
    }, 30_000);
  });

  it('stops every member on SIGTERM and frees the port', async function () {
    const members = childPids(api.child.pid!);
    const exited = new Promise<number | null>((resolve) => api.child.once('exit', resolve));
    api.child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    await eventually(() => members.every((pid) => !fs.existsSync(`/proc/${pid}`)), 10_000);
    expect(await isPortFree(Number(env.PORT))).to.equal(true);
  });
});
