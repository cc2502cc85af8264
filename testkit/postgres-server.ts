// testkit/postgres-server.ts: a throwaway PostgreSQL cluster on loopback for tests and benches (no Docker): initdb into a
// fresh data directory, the server on a port of our own, everything removed on stop.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnSupervised } from '../runtime/supervised-process';
import type { SupervisedProcess } from '../runtime/supervised-process';

const run = promisify(execFile);

const INSTALL_SCRIPT = path.join(__dirname, '..', 'scripts', 'install-postgres.sh');

/**
 * The directory holding `initdb`, `postgres`, `pg_isready` and `psql`, as scripts/install-postgres.sh finds it (`PG_BIN`,
 * else Debian's newest, else it installs Debian's package). Throws the script's sentence when there is none.
 */
export function postgresBinDir(): string {
  try {
    return execFileSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || (err as Error).message);
  }
}

export interface RunningPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  url: string;
  port: number;
  pid?: number;
  process: SupervisedProcess;
  /** Creates a database and gives its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The server refuses to run as root: as root, every command runs as the `postgres` user, who owns the data. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** Starts a fresh cluster (initdb, data under /var/tmp, TCP on 127.0.0.1:`port`) and waits until it answers. */
export async function startPostgres(opts: {
  port: number;
  settings?: Record<string, string>;
}): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const dataDir = fs.mkdtempSync('/var/tmp/scimflow-pg-');
  fs.chmodSync(dataDir, 0o700);
  if (process.getuid?.() === 0) await run('chown', ['postgres:postgres', dataDir]);
  await run(...asServerUser(`${bin}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=trust']), {
    maxBuffer: 16 * 1024 * 1024,
  });
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(opts.port),
    unix_socket_directories: dataDir,
    max_connections: '300',
    ...opts.settings,
  };
  const args = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  // Its log stays in the tail (shown if it fails to start).
  const proc = spawnSupervised(...asServerUser(`${bin}/postgres`, ['-D', dataDir, ...args]), () => {});
  const stop = async () => {
    await proc.stop(20_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await run(`${bin}/pg_isready`, ['-h', '127.0.0.1', '-p', String(opts.port)]).then(
      () => true,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`PostgreSQL did not start on port ${opts.port}:\n${proc.tail.format()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const pidLine = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0];
  const base = `postgres://postgres@127.0.0.1:${opts.port}`;
  return {
    url: `${base}/postgres`,
    port: opts.port,
    pid: pidLine ? Number(pidLine) : undefined,
    process: proc,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await run(`${bin}/psql`, [
        '-h',
        '127.0.0.1',
        '-p',
        String(opts.port),
        '-U',
        'postgres',
        '-c',
        `CREATE DATABASE ${name}`,
      ]);
      return `${base}/${name}`;
    },
    stop,
  };
}
