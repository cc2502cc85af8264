// bench/lifecycle-limited.ts: the project's limited SCIM app (testkit/) as the second app of the limited variant, in its own process.
import crypto from 'node:crypto';
import path from 'node:path';
import { startNodeChild } from './lifecycle-procs';

export interface RunningLimitedApp {
  baseUrl: string;
  token: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

export interface LimitedAppOptions {
  /** Added by the app to every SCIM request before it answers. */
  latencyMs: number;
  /** Serve /Groups (filtered by `displayName eq` only); without it the app has Users only. */
  groups: boolean;
  log: (line: string) => void;
}

/** Its own process, so its CPU is not scimflow's; the CLI's one JSON line on stdout says where it listens. */
export async function startLimitedApp(opts: LimitedAppOptions): Promise<RunningLimitedApp> {
  const token = crypto.randomBytes(16).toString('hex');
  const child = await startNodeChild({
    args: [
      '--require',
      require.resolve('tsx/cjs'),
      path.join(__dirname, '..', 'testkit', 'limited-scim-app-main.ts'),
      '--token',
      token,
      '--latency-ms',
      String(opts.latencyMs),
      ...(opts.groups ? ['--groups'] : []),
    ],
    env: {},
    mark: `limited-${token}`,
    ready: /^\{"baseUrl":/,
    // The app prints only its ready line and its own bugs; the latter are worth seeing.
    log: (line) => {
      if (!line.startsWith('{"baseUrl":')) opts.log(`[limited-app] ${line}`);
    },
    readyTimeoutMs: 60_000,
  });
  const ready = JSON.parse(child.readyLine) as { baseUrl: string; token: string; pid: number };
  return { baseUrl: ready.baseUrl, token: ready.token, pid: child.pid ?? ready.pid, stop: () => child.stop() };
}
