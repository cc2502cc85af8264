// bench/lifecycle-measure.ts: wraps a phase with CPU accounting (per process and thread) and the Temporal server's metrics.
import type { CpuUsage } from './lifecycle-procs';
import { cpuDelta, cpuOf, machineBusySeconds } from './lifecycle-procs';
import type { ServerProfile } from './lifecycle-server-metrics';
import { profileBetween, scrape } from './lifecycle-server-metrics';

export type PhaseCpu = Partial<
  Record<'temporalServer' | 'scimflow' | 'ceilingWorker' | 'scim2Server' | 'limitedApp' | 'driver', CpuUsage>
> & {
  wallSeconds: number;
  /** Busy CPU of processes outside this bench (other jobs on the machine), % of one core: they skew the numbers. */
  othersPctOfCore?: number;
};

export interface Measurer {
  /** Process ids by role; roles come and go (the ceiling worker stops before scimflow starts). */
  pids: Record<string, number | undefined>;
  cpu: Record<string, PhaseCpu>;
  server: Record<string, ServerProfile | undefined>;
  measured: <T>(phase: string, fn: () => Promise<T>) => Promise<T>;
}

export function createMeasurer(metricsUrl: string | undefined, log: (line: string) => void): Measurer {
  const pids: Record<string, number | undefined> = { driver: process.pid };
  const cpu: Record<string, PhaseCpu> = {};
  const server: Record<string, ServerProfile | undefined> = {};
  return {
    pids,
    cpu,
    server,
    async measured(phase, fn) {
      const roles = Object.entries(pids);
      const before = roles.map(([, pid]) => cpuOf(pid));
      const metrics0 = await scrape(metricsUrl);
      const busy0 = machineBusySeconds();
      const t0 = Date.now();
      const value = await fn();
      const wallSeconds = (Date.now() - t0) / 1000;
      const busy1 = machineBusySeconds();
      const usage = Object.fromEntries(
        roles.map(([role, pid], i) => [role, cpuDelta(before[i], cpuOf(pid), wallSeconds)]),
      );
      const ours = Object.values(usage).reduce((sum, u) => sum + (u?.seconds ?? 0), 0);
      const othersPctOfCore =
        busy0 !== undefined && busy1 !== undefined
          ? Math.max(0, Math.round((100 * (busy1 - busy0 - ours)) / wallSeconds))
          : undefined;
      cpu[phase] = { ...usage, wallSeconds, othersPctOfCore };
      server[phase] = profileBetween(metrics0, await scrape(metricsUrl));
      if (othersPctOfCore !== undefined && othersPctOfCore > 20)
        log(`  note: other processes used ${othersPctOfCore}% of a core during ${phase}`);
      return value;
    },
  };
}
