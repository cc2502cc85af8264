// test/integration/test-harness.test.ts: the integration run's own harness ends, and says why, when a test leaves a
// worker running or the dev server ends mid-run. One CI run (2026-12-04) hung until its 90-minute limit on that:
// a left worker polled the stopped server for ever and kept mocha's process alive.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const ROOT = path.resolve(__dirname, '../..');

interface Run {
  code: number | null;
  output: string;
  seconds: number;
}

/** Runs one fixture under the integration run's own mocha config (root hooks, exit) with a dev server of its own. */
async function runFixture(fixture: string, limitMs: number): Promise<Run> {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, '.mocharc.integration.json'), 'utf8')) as object;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-harness-'));
  const rc = path.join(dir, 'mocharc.json');
  fs.writeFileSync(rc, JSON.stringify({ ...config, spec: [path.join(ROOT, 'test/fixtures/harness', fixture)] }));
  const started = Date.now();
  const env = { ...process.env };
  delete env.TEMPORAL_ADDRESS; // its own dev server, so ending it costs this run nothing
  const child = spawn(process.execPath, [require.resolve('mocha/bin/mocha.js'), '--config', rc], { cwd: ROOT, env });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  fs.rmSync(dir, { recursive: true, force: true });
  return { code, output, seconds: (Date.now() - started) / 1000 };
}

describe('integration test harness', function () {
  this.timeout(240_000);

  it('ends the run when a test leaves its stack running, naming the test file', async function () {
    const run = await runFixture('left-stack.fixture.ts', 200_000);
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.match(/a stack started at .*left-stack\.fixture\.ts:\d+.* was not stopped by its test/);
    expect(run.output).to.include('1 passing');
  });

  it('fails the tests after a dev server that ended mid-run at once, saying how it ended', async function () {
    const run = await runFixture('server-dies.fixture.ts', 200_000);
    expect(run.code, run.output).to.not.equal(0);
    expect(run.output).to.match(/the Temporal dev server on \S+ (exited with code|was killed by) .* during the run/);
    expect(run.output).to.match(/"before each" hook/);
    expect(run.output).to.not.include('a later test that needs the server\n      ✔');
    // Not a timing assertion: the later test must fail on the hook, not at its own 120 s timeout.
    expect(run.output).to.not.match(/Timeout of \d+ms exceeded/);
  });
});
