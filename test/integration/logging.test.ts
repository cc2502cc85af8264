// test/integration/logging.test.ts: structured logs and the worker's own /metrics, from the real `scimflow` binary.
import { expect } from 'chai';
import { findFreePort } from '../../runtime/ports';
import { cliEnv, runCli, startCli } from '../helpers/cli';
import type { Stack } from '../helpers/stack';
import { startStack } from '../helpers/stack';

describe('logs and worker metrics (issue 14, first part)', function () {
  let stack: Stack;

  before(async function () {
    stack = await startStack({ worker: false });
  });
  after(async function () {
    await stack?.stop();
  });

  it('refuses a bad LOG_LEVEL before starting anything', async function () {
    const result = await runCli(['worker'], { ...cliEnv(stack), LOG_LEVEL: 'loud' });
    expect(result.code).to.equal(1);
    expect(result.stderr.trim()).to.equal(
      'scimflow: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got loud',
    );
  });

  it('logs JSON lines when not on a terminal, and `scimflow worker` serves /metrics (its own and the Temporal SDK’s) on METRICS_PORT', async function () {
    const port = await findFreePort();
    const { child, output } = await startCli(
      ['worker'],
      { ...cliEnv(stack), METRICS_PORT: String(port) },
      'worker polling',
    );
    try {
      const lines = output()
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'));
      const polling = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => /worker polling/.test(String(l.msg)));
      expect(polling).to.include({ level: 30, name: 'scimflow', component: 'worker' });
      // The workflow bundle's build output is the SDK's chatter: not in the default (info) log.
      expect(output()).to.not.match(/bundle/i);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).to.equal(200);
      const text = await res.text();
      expect(text).to.include('scimflow_process_cpu_user_seconds_total');
      expect(text).to.include('# TYPE scimflow_time_to_revoke_seconds histogram');
      // The Temporal SDK's own metrics (its core's exporter on loopback), in the same scrape.
      expect(text).to.match(/^temporal_num_pollers\{.*\} \d+/m);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).to.equal(404);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
