// bench/lifecycle-apps.ts: the downstream apps of each bench variant, started before scimflow and stopped after it.
import type { RunningLimitedApp } from './lifecycle-limited';
import { startLimitedApp } from './lifecycle-limited';
import type { RunningScim2 } from './lifecycle-scim2';
import { startSupervisedScim2 } from './lifecycle-scim2';
import type { AppSpec } from './lifecycle-stack';

/**
 * 'limited' (the default, issue 9's setup): one local app + the project's limited SCIM app. 'local': two built-in local
 * apps (issue 4's setup). 'scim2': one local app + the real scim2-server.
 */
export const VARIANTS = ['limited', 'local', 'scim2'] as const;
export type Variant = (typeof VARIANTS)[number];

export interface LimitedAppSettings {
  latencyMs: number;
  groups: boolean;
}

export interface DownstreamApps {
  apps: AppSpec[];
  /** CPU accounting roles of the app processes (none for local apps: they live inside scimflow). */
  pids: { scim2Server?: number; limitedApp?: number };
  stop(): Promise<void>;
}

export async function startDownstreamApps(
  variant: Variant,
  limited: LimitedAppSettings,
  log: (line: string) => void,
): Promise<DownstreamApps> {
  const local: AppSpec = { name: 'app-local', type: 'local' };
  if (variant === 'scim2') {
    const scim2: RunningScim2 = await startSupervisedScim2(log);
    return {
      apps: [local, { name: 'app-scim2', type: 'scim', config: { url: scim2.baseUrl, token: scim2.token } }],
      pids: { scim2Server: scim2.pid },
      stop: () => scim2.stop(),
    };
  }
  if (variant === 'limited') {
    const app: RunningLimitedApp = await startLimitedApp({ ...limited, log });
    return {
      apps: [local, { name: 'app-limited', type: 'scim', config: { url: app.baseUrl, token: app.token } }],
      pids: { limitedApp: app.pid },
      stop: () => app.stop(),
    };
  }
  return {
    apps: [
      { name: 'app-a', type: 'local' },
      { name: 'app-b', type: 'local' },
    ],
    pids: {},
    stop: async () => undefined,
  };
}
