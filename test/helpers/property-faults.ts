// test/helpers/property-faults.ts: the limited SCIM app's faults in a property run: which to switch on before which burst.
import fc from 'fast-check';
import type { LimitedScimApp } from '../../testkit/limited-scim-app';

/**
 * What happens to the app before a burst: some writes lose their answer (performed, then a reset socket or a 500), an
 * outage starts and lasts a few seconds, or the lost-answer knob is switched off again.
 */
export type AppFault =
  | { kind: 'loseAnswer'; on: 'create' | 'update' | 'write'; times: number; how: 'reset' | '500' }
  | { kind: 'outage'; how: 'unavailable' | 'reset'; ms: number }
  | { kind: 'heal' };

/** One entry per burst (bursts are never more than deliveries); most bursts change nothing. */
export function faultScheduleArb(length: number): fc.Arbitrary<(AppFault | null)[]> {
  const loseAnswer = fc.record({
    kind: fc.constant('loseAnswer' as const),
    on: fc.constantFrom('create' as const, 'update' as const, 'write' as const),
    times: fc.integer({ min: 1, max: 3 }),
    how: fc.constantFrom('reset' as const, '500' as const),
  });
  const outage = fc.record({
    kind: fc.constant('outage' as const),
    how: fc.constantFrom('unavailable' as const, 'reset' as const),
    ms: fc.constantFrom(1_000, 2_000, 3_000),
  });
  const fault = fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: loseAnswer },
    { weight: 1, arbitrary: outage },
    { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
  );
  return fc.array(fault, { minLength: length, maxLength: length });
}

export const describeFault = (fault: AppFault): string => {
  switch (fault.kind) {
    case 'loseAnswer':
      return `delta loses the answer of the next ${fault.times} ${fault.on}(s) (${fault.how})`;
    case 'outage':
      return `delta goes down for ${fault.ms} ms (${fault.how})`;
    case 'heal':
      return 'delta answers every write again';
  }
};

/** Applies a schedule to a running app; an outage ends by itself, and `settle()` waits for that before the final check. */
export class FaultInjector {
  outages = 0;
  private outageOver: Promise<void> | undefined;
  private outageTimer: NodeJS.Timeout | undefined;
  private endOutage: (() => void) | undefined;

  constructor(
    private readonly app: LimitedScimApp,
    private readonly schedule: readonly (AppFault | null)[],
    private readonly trace: string[],
  ) {}

  beforeBurst(index: number): void {
    const fault = this.schedule[index];
    if (!fault) return;
    this.trace.push(describeFault(fault));
    if (fault.kind === 'loseAnswer')
      this.app.setFaults({ loseAnswer: { on: fault.on, times: fault.times, how: fault.how } });
    else if (fault.kind === 'heal') this.app.setFaults({ loseAnswer: false });
    else this.startOutage(fault.how, fault.ms);
  }

  /** A second outage while one is on extends it: the app comes back `ms` after the later one started. */
  private startOutage(how: 'unavailable' | 'reset', ms: number): void {
    this.outages += 1;
    this.app.setFaults({ outage: how === 'reset' ? { how } : { how, retryAfterSeconds: 1 } });
    this.outageOver ??= new Promise((resolve) => (this.endOutage = resolve));
    clearTimeout(this.outageTimer);
    this.outageTimer = setTimeout(() => {
      this.app.setFaults({ outage: false });
      this.trace.push('delta is back');
      this.endOutage?.();
      this.outageOver = undefined;
    }, ms);
  }

  /** Waits until no outage is on (lost answers still pending are left to the convergence: the app keeps its word). */
  async settle(): Promise<void> {
    await this.outageOver;
  }

  /** Ends an outage at once (a failed run must not leave a timer behind). */
  stop(): void {
    clearTimeout(this.outageTimer);
    this.app.setFaults({ outage: false });
    this.endOutage?.();
  }
}
