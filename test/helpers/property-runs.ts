// test/helpers/property-runs.ts: one property run's fresh directory (apps, policy, groups) and the wait until it has converged.
import type { Stack } from './stack';
import type { PropertyDirectory, Slot } from './property-driver';
import { createGroups, ScenarioDriver } from './property-driver';
import type { Scenario } from './property-model';
import type { CheckStats } from './property-oracle';
import { checkConvergence, readFinalState } from './property-oracle';
import type { PropertyApp } from './property-policy';
import { APP_CONFIGS, POLICY } from './property-policy';

export const ADMIN_TOKEN = 'test-admin-token-0123456789'; // the one test/helpers/stack.ts configures

let runs = 0;

/** A fresh directory per run keeps runs independent inside one stack (and one worker). */
export async function setUpDirectory(stack: Stack): Promise<{ dir: PropertyDirectory; apps: PropertyApp[] }> {
  runs += 1;
  const { directory, token } = stack.stores.directories.create({ name: `property-${runs}`, dialect: 'generic' });
  const apps = APP_CONFIGS.map(({ name, config }) => {
    const row = stack.stores.directories.addApp({ directoryId: directory.id, name, type: 'local', config });
    return {
      id: row.id,
      name,
      deprovision: config.deprovision === 'delete' ? ('delete' as const) : ('disable' as const),
    };
  });
  stack.stores.policies.put(directory.id, POLICY);
  const groups = await createGroups(stack, directory.id, token);
  return { dir: { id: directory.id, token, groups }, apps };
}

export interface ConvergenceReport {
  /** Identities whose workflow flagged an exception (a grant gave up), and that an operator retry cleared. */
  operatorRetries: number;
  waitedMs: number;
}

/**
 * Waits until each identity's workflow has processed its newest event and is not in exception.
 * An identity in exception gets what an operator would do: a retry through the admin API.
 */
export async function waitForConvergence(
  stack: Stack,
  dir: PropertyDirectory,
  slots: Slot[],
  timeoutMs = 90_000,
): Promise<ConvergenceReport> {
  const started = Date.now();
  const lastRetry = new Map<string, number>();
  let operatorRetries = 0;
  for (;;) {
    const behind: string[] = [];
    for (const { id, userName } of slots.flatMap((s) => [
      ...s.retired.map((id) => ({ id, userName: `${s.userName} (retired)` })),
      s,
    ])) {
      if (!id) continue;
      const latest = stack.stores.events.latestSeqFor(dir.id, id);
      const progress = stack.stores.applied.progress(dir.id, id);
      if (progress?.lifecycle === 'exception') {
        behind.push(`${userName}: exception ${progress.exception}`);
        if (Date.now() - (lastRetry.get(id) ?? 0) > 1_000) {
          lastRetry.set(id, Date.now());
          const res = await fetch(`${stack.baseUrl}/admin/directories/${dir.id}/identities/${id}/retry`, {
            method: 'POST',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          const body = (await res.json().catch(() => ({}))) as { retried?: boolean };
          if (body.retried) operatorRetries += 1;
        }
      } else if (!progress || progress.processedSeq < latest)
        behind.push(`${userName}: processed ${progress?.processedSeq ?? 'nothing'} of ${latest}`);
    }
    if (behind.length === 0) return { operatorRetries, waitedMs: Date.now() - started };
    if (Date.now() - started > timeoutMs) throw new Error(`not converged after ${timeoutMs} ms: ${behind.join('; ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface RunOutcome extends ConvergenceReport {
  requests: number;
  restarts: number;
  /** Users the IdP created again under a deleted user's userName. */
  recreated: number;
  stats: CheckStats;
}

/** One property run: a fresh directory, the scenario's traffic, the wait, then every check; throws with what was sent. */
export async function runScenario(stack: Stack, scenario: Scenario): Promise<RunOutcome> {
  const { dir, apps } = await setUpDirectory(stack);
  const driver = new ScenarioDriver(stack, dir, scenario.users);
  try {
    await driver.play(scenario);
    const report = await waitForConvergence(stack, dir, driver.slots);
    const users = await readFinalState(stack, dir, driver.slots);
    const stats: CheckStats = { activeAccounts: 0, disabledAccounts: 0, entitlements: 0, revoked: 0 };
    const problems = [...driver.problems, ...checkConvergence(stack, dir, apps, users, stats)];
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return { ...report, requests: driver.sent, restarts: driver.restarts, recreated: driver.recreated, stats };
  } catch (err) {
    (err as Error).message += `\n  directory ${dir.id}; what was sent:\n    ${driver.trace.join('\n    ')}`;
    throw err;
  }
}
