// test/helpers/cli.ts: runs the real `scimflow` executable (bin/scimflow.js) as a child process.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { isPostgresUrl } from '../../store/env';
import { TEST_SECRET_KEYS } from './store-kinds';
import { getTestTemporal } from './temporal';

export const BIN = path.resolve(__dirname, '../../bin/scimflow.js');

/** The environment a `scimflow` command needs to act on a test stack: its store and the test Temporal server. */
export function cliEnv(stack: { dataDir: string; databaseTarget?: string }): Record<string, string> {
  const temporal = getTestTemporal();
  const target = stack.databaseTarget ?? path.join(stack.dataDir, 'scimflow.sqlite');
  return {
    ...(isPostgresUrl(target) ? { DATABASE_URL: target, DATA_DIR: stack.dataDir } : { SQLITE_FILE: target }),
    SCIMFLOW_SECRET_KEYS: TEST_SECRET_KEYS,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function runCliJson<T = any>(args: string[], env: Record<string, string>): Promise<T> {
  const result = await runCli(args, env);
  if (result.code !== 0) throw new Error(`scimflow ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Starts a long-running command; resolves once stdout contains `readyText`. */
export function startCli(
  args: string[],
  env: Record<string, string>,
  readyText: string,
  timeoutMs = 120_000,
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for '${readyText}':\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes(readyText)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before '${readyText}':\n${out}`));
    });
  });
}
