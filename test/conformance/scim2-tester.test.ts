// test/conformance/scim2-tester.test.ts: the third-party scim2-tester suite (PyPI, pinned) against a fresh directory of
// scimflow's own SCIM endpoint: discovery, CRUD, PATCH add/replace/remove, attributes projections, filters, paging.
import { execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { Stack } from '../helpers/stack';
import { startStack } from '../helpers/stack';

const ROOT = resolve(__dirname, '../..');

interface CheckResult {
  status: string;
  title: string | null;
  reason: string | null;
  resource_type: string | null;
}

/** Runs the suite in its own process (the API answers from this one, so the wait must not block the event loop). */
async function runSuite(python: string, baseUrl: string, token: string): Promise<CheckResult[]> {
  const child = spawn(python, [resolve(__dirname, 'peers/run_scim2_tester.py'), baseUrl, token], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`scim2-tester exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as CheckResult[];
}

describe('third-party conformance: scim2-tester 0.5.2 against a fresh directory', function () {
  this.timeout(300_000);
  let stack: Stack;
  let python: string;

  before(async function () {
    const { stdout } = await promisify(execFile)('bash', [resolve(ROOT, 'scripts/install-scim2-tester.sh')], {
      timeout: 300_000,
    });
    python = stdout.trim().split('\n').pop()!;
    stack = await startStack({ worker: false });
  });
  after(async () => stack?.stop());

  it('passes every check it makes (no ERROR, no CRITICAL)', async function () {
    const { directory, token } = await stack.stores.directories.create({ name: 'scim2-tester', dialect: 'generic' });
    const results = await runSuite(python, `${stack.baseUrl}/scim/v2/${directory.id}`, token);
    const failed = results
      .filter((r) => r.status === 'ERROR' || r.status === 'CRITICAL')
      .map((r) => `${r.status} ${r.resource_type ?? ''} ${r.title ?? ''}: ${(r.reason ?? '').slice(0, 300)}`);
    expect(failed).to.deep.equal([]);
    // The suite must really have run: discovery, then CRUD and PATCH checks on both resource types.
    expect(results.filter((r) => r.status === 'SUCCESS').length).to.be.at.least(120);
    expect([...new Set(results.map((r) => r.resource_type))]).to.include.members(['User', 'Group']);
  });
});
