// test/helpers/property-runs-scim.ts: one property run with a limited SCIM app next to the local ones, its faults switched mid-run.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { startLimitedScimApp } from '../../testkit/limited-scim-app';
import type { Stack } from './stack';
import type { Slot } from './property-driver';
import { ScenarioDriver } from './property-driver';
import type { AppFault } from './property-faults';
import { FaultInjector, faultScheduleArb } from './property-faults';
import type { Scenario } from './property-model';
import { scenarioArb } from './property-model';
import type { CheckStats } from './property-oracle';
import { checkConvergence, readFinalState } from './property-oracle';
import type { ScimCheckStats } from './property-oracle-scim';
import { checkScimApp } from './property-oracle-scim';
import type { PropertySetup, RunOutcome } from './property-runs';
import { keepHistories, setUpDirectory, waitForConvergence } from './property-runs';

export interface ScimScenario {
  scenario: Scenario;
  /** Entry i is switched on before burst i. */
  faults: (AppFault | null)[];
}

export function scimScenarioArb(maxCommands: number, minCommands: number): fc.Arbitrary<ScimScenario> {
  return fc.record({ scenario: scenarioArb(maxCommands, minCommands), faults: faultScheduleArb(maxCommands) });
}

export interface ScimRunOutcome extends RunOutcome {
  scim: ScimCheckStats;
  /** SCIM requests the app answered with a reset socket, a 500 or a 503 (lost answers and outages). */
  faulted: number;
  outages: number;
}

/** Every check of the local apps (property-oracle.ts), then delta's own (property-oracle-scim.ts), on the final state. */
export async function checkScimRun(
  stack: Stack,
  { dir, apps, scim }: PropertySetup,
  slots: Slot[],
): Promise<{ problems: string[]; stats: CheckStats; scim: ScimCheckStats }> {
  if (!scim) throw new Error('the run has no limited SCIM app');
  const users = await readFinalState(stack, dir, slots);
  const stats: CheckStats = { activeAccounts: 0, disabledAccounts: 0, entitlements: 0, revoked: 0 };
  const scimStats: ScimCheckStats = { activeAccounts: 0, disabledAccounts: 0, memberships: 0, verifiedLeavers: 0 };
  const problems = [
    ...(await checkConvergence(stack, dir, apps, users, stats)),
    ...(await checkScimApp(stack, dir, scim, users, scimStats)),
  ];
  return { problems, stats, scim: scimStats };
}

/** Like runScenario, with the limited app wired in as delta: every check of the local apps, then delta's own. */
export async function runScimScenario(stack: Stack, { scenario, faults }: ScimScenario): Promise<ScimRunOutcome> {
  const limited = await startLimitedScimApp({ groups: true });
  const setup = await setUpDirectory(stack, limited);
  const { dir } = setup;
  const driver = new ScenarioDriver(stack, dir, scenario.users);
  const injector = new FaultInjector(limited, faults, driver.trace);
  try {
    await driver.play(scenario, (index) => injector.beforeBurst(index));
    // The outage ends before the final check; lost answers still armed are left to hit convergence's own writes.
    await injector.settle();
    const report = await waitForConvergence(stack, dir, driver.slots);
    const { problems, stats, scim: scimStats } = await checkScimRun(stack, setup, driver.slots);
    if (driver.problems.length + problems.length > 0) throw new Error([...driver.problems, ...problems].join('\n'));
    return {
      ...report,
      requests: driver.sent,
      restarts: driver.restarts,
      recreated: driver.recreated,
      stats,
      scim: scimStats,
      faulted: limited.requests.filter((r) => r.status === 0 || r.status >= 500).length,
      outages: injector.outages,
    };
  } catch (err) {
    await keepHistories(stack, dir, driver.slots);
    // Next to the histories: what delta was asked and how it answered, to line the two up.
    const toDir = process.env.PROPERTY_HISTORIES;
    if (toDir) {
      fs.mkdirSync(path.join(toDir, dir.id), { recursive: true });
      fs.writeFileSync(path.join(toDir, dir.id, 'delta-requests.json'), JSON.stringify(limited.requests, null, 1));
    }
    (err as Error).message += `\n  directory ${dir.id}; what was sent:\n    ${driver.trace.join('\n    ')}`;
    throw err;
  } finally {
    injector.stop();
    await limited.stop();
  }
}
