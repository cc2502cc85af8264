// test/helpers/property-runs.ts: one property run's fresh directory (apps, policy, groups) and the wait until it has converged.
import path from 'node:path';
import type { LimitedScimApp } from '../../testkit/limited-scim-app';
import { identityWorkflowId } from '../../workflows/contracts';
import type { Stack } from './stack';
import type { PropertyDirectory, Slot } from './property-driver';
import { createGroups, ScenarioDriver } from './property-driver';
import type { Scenario } from './property-model';
import type { CheckStats } from './property-oracle';
import { checkConvergence, readFinalState } from './property-oracle';
import type { PropertyScimApp } from './property-oracle-scim';
import type { PropertyApp } from './property-policy';
import { APP_CONFIGS, POLICY, SCIM_APP_NAME, SCIM_POLICY } from './property-policy';
import { failingWorkflowTask, writeHistories } from './workflow-task-health';

export const ADMIN_TOKEN = 'test-admin-token-0123456789'; // the one test/helpers/stack.ts configures

let runs = 0;

export interface PropertySetup {
  dir: PropertyDirectory;
  apps: PropertyApp[];
  /** The limited SCIM app, when the run has one (and SCIM_POLICY instead of POLICY). */
  scim?: PropertyScimApp;
}

/** A fresh directory per run keeps runs independent inside one stack (and one worker). */
export async function setUpDirectory(stack: Stack, limited?: LimitedScimApp): Promise<PropertySetup> {
  runs += 1;
  const { directory, token } = await stack.stores.directories.create({ name: `property-${runs}`, dialect: 'generic' });
  const apps: PropertyApp[] = [];
  for (const { name, config } of APP_CONFIGS) {
    const row = await stack.stores.directories.addApp({ directoryId: directory.id, name, type: 'local', config });
    apps.push({
      id: row.id,
      name,
      deprovision: config.deprovision === 'delete' ? ('delete' as const) : ('disable' as const),
    });
  }
  let scimApp: PropertyScimApp | undefined;
  if (limited) {
    const config = { deprovision: 'disable', url: limited.baseUrl, token: limited.token, timeoutMs: 5_000 };
    const row = await stack.stores.directories.addApp({
      directoryId: directory.id,
      name: SCIM_APP_NAME,
      type: 'scim',
      config,
    });
    scimApp = { id: row.id, name: SCIM_APP_NAME, app: limited };
  }
  await stack.stores.policies.put(directory.id, limited ? SCIM_POLICY : POLICY);
  const groups = await createGroups(stack, directory.id, token);
  return { dir: { id: directory.id, token, groups }, apps, ...(scimApp ? { scim: scimApp } : {}) };
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
  let lastHealthCheck = started;
  for (;;) {
    const behind: string[] = [];
    for (const { id, userName } of slots.flatMap((s) => [
      ...s.retired.map((id) => ({ id, userName: `${s.userName} (retired)` })),
      s,
    ])) {
      if (!id) continue;
      const latest = await stack.stores.events.latestSeqFor(dir.id, id);
      const progress = await stack.stores.applied.progress(dir.id, id);
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
    if (Date.now() - lastHealthCheck > 3_000) {
      lastHealthCheck = Date.now();
      const broken = await brokenWorkflows(stack, dir, slots);
      if (broken.length > 0) throw new Error(`workflows that cannot progress: ${broken.join('; ')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every identity workflow a run started, named after its userName, current or retired. */
export function runWorkflows(dir: PropertyDirectory, slots: Slot[]): { name: string; workflowId: string }[] {
  return slots.flatMap((s) =>
    [...s.retired, ...(s.id ? [s.id] : [])].map((id) => ({
      name: `${s.userName}-${id}`,
      workflowId: identityWorkflowId(dir.id, id),
    })),
  );
}

/** PROPERTY_HISTORIES=<dir> keeps a failed run's workflow histories (replay them with Worker.runReplayHistory). */
export async function keepHistories(stack: Stack, dir: PropertyDirectory, slots: Slot[]): Promise<void> {
  const toDir = process.env.PROPERTY_HISTORIES;
  if (toDir) await writeHistories(stack, runWorkflows(dir, slots), path.join(toDir, dir.id)).catch(() => undefined);
}

/** Identities whose workflow task keeps failing: they will never converge, so the wait stops with the cause. */
async function brokenWorkflows(stack: Stack, dir: PropertyDirectory, slots: Slot[]): Promise<string[]> {
  const broken: string[] = [];
  for (const { name, workflowId } of runWorkflows(dir, slots)) {
    const failure = await failingWorkflowTask(stack, workflowId);
    if (failure) broken.push(`${name}: ${failure}`);
  }
  return broken;
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
    const problems = [...driver.problems, ...(await checkConvergence(stack, dir, apps, users, stats))];
    if (problems.length > 0) throw new Error(problems.join('\n'));
    return { ...report, requests: driver.sent, restarts: driver.restarts, recreated: driver.recreated, stats };
  } catch (err) {
    await keepHistories(stack, dir, driver.slots);
    (err as Error).message += `\n  directory ${dir.id}; what was sent:\n    ${driver.trace.join('\n    ')}`;
    throw err;
  }
}
