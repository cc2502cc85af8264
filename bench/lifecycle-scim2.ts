// bench/lifecycle-scim2.ts: the real third-party scim2-server (PyPI) as the second app of the scim2 variant, supervised.
import crypto from 'node:crypto';
import { findFreePort } from '../runtime/ports';
import { spawnSupervised } from '../runtime/supervised-process';
import { installScim2Server } from '../test/helpers/scim2-server';
import { sleep } from './lifecycle-driver';
import { findPid } from './lifecycle-procs';

export interface RunningScim2 {
  baseUrl: string;
  token: string;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Installed by the test helper's pinned script; run here under the watchdog so it cannot outlive the bench. */
export async function startSupervisedScim2(log: (line: string) => void): Promise<RunningScim2> {
  const executable = await installScim2Server();
  const port = await findFreePort();
  const token = crypto.randomBytes(16).toString('hex');
  // It logs every request on stderr; only lines that look like trouble are passed on.
  const child = spawnSupervised(
    executable,
    ['--hostname', '127.0.0.1', '--port', String(port), '--bearer-token', token],
    (line) => {
      if (/error|traceback|exception/i.test(line)) log(`[scim2-server] ${line}`);
    },
  );
  const baseUrl = `http://127.0.0.1:${port}/v2`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/ServiceProviderConfig`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) {
      // The sh watchdog's argv carries the same flags; the server is the process that is not `sh -c`.
      const pid = findPid(
        (argv) =>
          argv[1] !== '-c' && argv.includes('--bearer-token') && argv[argv.indexOf('--port') + 1] === String(port),
      );
      return { baseUrl, token, pid, stop: () => child.stop(5_000) };
    }
    await sleep(100);
  }
  await child.stop(1_000);
  throw new Error(`scim2-server did not answer on ${baseUrl} within 30 s:\n${child.tail.format()}`);
}
