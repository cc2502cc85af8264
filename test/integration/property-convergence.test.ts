// test/integration/property-convergence.test.ts: random messy IdP traffic always converges every app to the final directory state.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Stack } from '../helpers/stack';
import { scim, startStack } from '../helpers/stack';
import type { Slot } from '../helpers/property-driver';
import { ENTERPRISE, USER_SCHEMA } from '../helpers/property-driver';
import { propertySettings, scenarioArb } from '../helpers/property-model';
import type { Scenario } from '../helpers/property-model';
import type { CheckStats } from '../helpers/property-oracle';
import { checkConvergence, readFinalState } from '../helpers/property-oracle';
import { runScenario, setUpDirectory, waitForConvergence } from '../helpers/property-runs';

const settings = propertySettings(process.env);
const verbose = process.env.PROPERTY_VERBOSE === '1';

describe('convergence under random IdP traffic (property, real Temporal)', function () {
  let stack: Stack;

  before(async function () {
    stack = await startStack();
  });

  after(async function () {
    await stack?.stop();
  });

  it('leaves every app matching the final directory state despite duplicates, bursts, chaos and worker restarts', async function () {
    this.timeout(Math.max(240_000, settings.numRuns * (settings.shrink ? 600_000 : 120_000)));
    const totals = {
      runs: 0,
      requests: 0,
      restarts: 0,
      recreated: 0,
      operatorRetries: 0,
      accounts: 0,
      entitlements: 0,
      revoked: 0,
    };
    const property = fc.asyncProperty(scenarioArb(settings.maxCommands), async (scenario: Scenario) => {
      const run = await runScenario(stack, scenario);
      totals.runs += 1;
      totals.requests += run.requests;
      totals.restarts += run.restarts;
      totals.recreated += run.recreated;
      totals.operatorRetries += run.operatorRetries;
      totals.accounts += run.stats.activeAccounts + run.stats.disabledAccounts;
      totals.entitlements += run.stats.entitlements;
      totals.revoked += run.stats.revoked;
      if (verbose)
        process.stdout.write(`      run ${totals.runs}: ${run.requests} requests, ${JSON.stringify(run.stats)}\n`);
    });
    await fc.assert(property, {
      numRuns: settings.numRuns,
      ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
      ...(settings.path !== undefined ? { path: settings.path } : {}),
      endOnFailure: !settings.shrink,
    });
    if (verbose) process.stdout.write(`      totals: ${JSON.stringify(totals)}\n`);
    // The property must have exercised something: provisioned accounts in the apps.
    expect(totals.runs).to.be.greaterThan(0);
    expect(totals.accounts).to.be.greaterThan(0);
  });

  // The minimal form of a counterexample the property found: the old identity's leaver disabled (and in a deleting app deleted) the
  // account its successor had just adopted by userName, or could never verify its revocation.
  it('provisions a user re-created under a deleted userName only once the old identity is revoked', async function () {
    this.timeout(120_000);
    const { dir, apps } = await setUpDirectory(stack);
    const users = `/scim/v2/${dir.id}/Users`;
    const body = (department: string) => ({
      schemas: [USER_SCHEMA, ENTERPRISE],
      userName: 'rehire@prop.test',
      [ENTERPRISE]: { department },
    });
    const first = await scim(stack.baseUrl, dir.token, 'POST', users, body('Sales'));
    expect(first.status).to.equal(201);
    const slot: Slot = { userName: 'rehire@prop.test', id: first.body.id, deleted: false, retired: [] };
    await waitForConvergence(stack, dir, [slot]);

    // Both changes reach the worker together: the old identity's leaver and the new identity's joiner race.
    await stack.stopWorker();
    expect((await scim(stack.baseUrl, dir.token, 'DELETE', `${users}/${first.body.id}`)).status).to.equal(204);
    const second = await scim(stack.baseUrl, dir.token, 'POST', users, body('Engineering'));
    expect(second.status).to.equal(201);
    await stack.startWorker();
    slot.retired.push(first.body.id);
    slot.id = second.body.id;
    await waitForConvergence(stack, dir, [slot]);

    const stats: CheckStats = { activeAccounts: 0, disabledAccounts: 0, entitlements: 0, revoked: 0 };
    expect(checkConvergence(stack, dir, apps, await readFinalState(stack, dir, [slot]), stats)).to.deep.equal([]);
    expect(stats.activeAccounts).to.equal(2); // alpha (baseline) and beta (Engineering)
    const alpha = apps.find((a) => a.name === 'alpha')!.id;
    const at = (identityId: string, action: string) =>
      stack.stores.applied.auditTrail(dir.id, identityId).find((a) => a.appId === alpha && a.action === action)!.id;
    expect(at(first.body.id, 'revocation.verified')).to.be.below(at(second.body.id, 'account.created'));
  });
});
