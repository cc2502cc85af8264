// test/helpers/scim2-server.ts: runs the real third-party scim2-server (PyPI, pinned) on loopback as a downstream app for tests.
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const INSTALL_SCRIPT = resolve(__dirname, '../../scripts/install-scim2-server.sh');
const HOST = '127.0.0.1';
const STARTUP_DEADLINE_MS = 20_000;
const STDERR_TAIL_CHARS = 4_000;

export interface Scim2Server {
  /** The SCIM base URL, e.g. http://127.0.0.1:40123/v2 */
  baseUrl: string;
  token: string;
  stop(): Promise<void>;
}

/** The script is idempotent and returns at once when the cached venv exists; a cold install takes a few seconds. */
export async function installScim2Server(): Promise<string> {
  const { stdout } = await promisify(execFile)('bash', [INSTALL_SCRIPT], { timeout: 300_000 });
  const executable = stdout.trim().split('\n').pop();
  if (!executable) throw new Error(`${INSTALL_SCRIPT} printed no executable path`);
  return executable;
}

export async function startScim2Server(opts: { token?: string } = {}): Promise<Scim2Server> {
  const executable = await installScim2Server();
  const token = opts.token ?? randomBytes(16).toString('hex');
  // The port is free when we ask but may be taken before the server binds it: try a few ports before giving up.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await launch(executable, port, token);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/i.test(String(err))) throw err;
    }
  }
}

async function launch(executable: string, port: number, token: string): Promise<Scim2Server> {
  const args = ['--hostname', HOST, '--port', String(port), '--bearer-token', token];
  const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  // Always drain stderr (the server logs every request there): a full pipe would block the server.
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const baseUrl = `http://${HOST}:${port}/v2`;
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
  };
  try {
    await waitUntilServing(baseUrl, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { baseUrl, token, stop };
}

async function waitUntilServing(baseUrl: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`scim2-server exited (${child.exitCode ?? child.signalCode}) before serving:\n${stderr()}`);
    }
    try {
      // ServiceProviderConfig needs no token (RFC 7643 §5), so readiness does not depend on auth.
      const response = await fetch(`${baseUrl}/ServiceProviderConfig`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`scim2-server did not answer on ${baseUrl} within ${STARTUP_DEADLINE_MS} ms:\n${stderr()}`);
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Lets the OS pick a free loopback port. Also used by tests that need a port where nothing listens. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, HOST, done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('could not read the port the OS picked');
  return address.port;
}
