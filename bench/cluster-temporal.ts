// bench/cluster-temporal.ts: a real Temporal server (not the dev server) on a real PostgreSQL, on this machine, no
// Docker: PostgreSQL 15 from Debian run as the postgres user, the server and its sql tool built with `go install` and
// cached outside the repo, the schema set up by the sql tool, the namespace created with the Temporal CLI.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { findFreePort, isPortFree } from '../runtime/ports';
import { spawnSupervised } from '../runtime/supervised-process';
import { startPostgres } from '../testkit/postgres-server';

const run = promisify(execFile);

export const TEMPORAL_SERVER_VERSION = '1.32.1';
const CACHE = process.env.SCIMFLOW_CACHE_DIR || path.join(os.homedir(), '.cache', 'scimflow');

export interface RunningCluster {
  address: string;
  /** pids for CPU accounting: the server and the PostgreSQL postmaster. */
  pids: { server?: number; postgres?: number };
  stop(): Promise<void>;
}

/** The server and sql tool binaries and the schema files, built once (5–13 min cold) and reused. */
export async function ensureServerBuild(log: (line: string) => void): Promise<string> {
  const dir = path.join(CACHE, `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const schema = path.join(dir, 'schema', 'postgresql', 'v12');
  if (fs.existsSync(path.join(dir, 'server')) && fs.existsSync(path.join(dir, 'sql')) && fs.existsSync(schema))
    return dir;
  fs.mkdirSync(dir, { recursive: true });
  log(`building the Temporal server ${TEMPORAL_SERVER_VERSION} with go install (5–13 minutes the first time)…`);
  const env = { ...process.env, GOBIN: dir, GOFLAGS: '-buildvcs=false' };
  await run(
    'go',
    [
      'install',
      `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
      `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
    ],
    { env, maxBuffer: 64 * 1024 * 1024 },
  );
  const modCache = (await run('go', ['env', 'GOMODCACHE'])).stdout.trim();
  fs.cpSync(
    path.join(modCache, `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`, 'schema'),
    path.join(dir, 'schema'),
    {
      recursive: true,
    },
  );
  return dir;
}

function serverConfig(p: { pgPort: number; ports: number[]; dynamicConfig: string; shards: number }): string {
  const [frontend, frontendHttp, history, matching, worker, m1, m2, m3, m4, metrics] = p.ports as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const store = (db: string, conns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: 127.0.0.1:${p.pgPort}
        connectProtocol: tcp
        user: postgres
        password: ""
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (grpc: number, membership: number, http?: number) => `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${p.shards}
  datastores:
    default:${store('temporal', 40)}
    visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: 127.0.0.1:${metrics}
services:
  frontend:${service(frontend, m1, frontendHttp)}
  history:${service(history, m2)}
  matching:${service(matching, m3)}
  worker:${service(worker, m4)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${frontend}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${p.dynamicConfig}
  pollInterval: 10s
`;
}

/**
 * PostgreSQL + schema + `server start` (all four services in one process) + the namespace. Search attributes are
 * registered by scimflow's workers themselves (they do that on any server).
 */
export async function startTemporalCluster(opts: {
  log: (line: string) => void;
  /** The Temporal CLI (for `operator namespace create`), e.g. from runtime/temporal-cli.ts. */
  cliPath: string;
  namespace?: string;
  shards?: number;
}): Promise<RunningCluster> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((e: Error) => opts.log(`cleanup: ${e.message}`));
  };
  try {
    const build = await ensureServerBuild(opts.log);
    const pgPort = await findFreePort();
    const pg = await startPostgres({ port: pgPort, settings: { shared_buffers: '512MB' } });
    cleanups.push(() => pg.stop());
    const sql = (db: string, ...args: string[]) =>
      run(path.join(build, 'sql'), [
        '--plugin',
        'postgres12',
        '--ep',
        '127.0.0.1',
        '-p',
        String(pgPort),
        '-u',
        'postgres',
        '--db',
        db,
        ...args,
      ]);
    for (const [db, schema] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ] as const) {
      await sql(db, 'create-database');
      await sql(db, 'setup-schema', '-v', '0.0');
      await sql(db, 'update-schema', '-d', path.join(build, 'schema', 'postgresql', 'v12', schema, 'versioned'));
    }
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-temporal-'));
    cleanups.push(async () => fs.rmSync(work, { recursive: true, force: true }));
    // Below 32768: the server stores its services' ports in a smallint column (cluster_membership.rpc_port).
    const ports: number[] = [];
    for (let p = 23300; ports.length < 10 && p < 32000; p++) if (await isPortFree(p)) ports.push(p);
    const configFile = path.join(work, 'config.yaml');
    fs.writeFileSync(
      configFile,
      serverConfig({
        pgPort,
        ports,
        shards: opts.shards ?? 8,
        dynamicConfig: path.join(__dirname, '..', 'deploy', 'temporal', 'dynamicconfig.yaml'),
      }),
    );
    const server = spawnSupervised(
      path.join(build, 'server'),
      ['--config-file', configFile, '--allow-no-auth', 'start'],
      (l) => /"level":"fatal"/.test(l) && opts.log(`[temporal-server] ${l.slice(0, 400)}`),
    );
    cleanups.push(() => server.stop(30_000));
    const address = `127.0.0.1:${ports[0]}`;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const up = await Connection.connect({ address, connectTimeout: '2s' }).then(
        async (c) => {
          await c.workflowService.getSystemInfo({});
          await c.close();
          return true;
        },
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(`the Temporal server did not come up:\n${server.tail.format()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const namespace = opts.namespace ?? 'default';
    // The frontend answers before the namespace registry is warm: retry the create briefly.
    for (let i = 0; ; i++) {
      const created = await run(opts.cliPath, [
        'operator',
        'namespace',
        'create',
        '--namespace',
        namespace,
        '--retention',
        '72h',
        '--address',
        address,
      ]).then(
        () => true,
        (err: Error) => (/already/i.test(err.message) ? true : i >= 20 ? Promise.reject(err) : false),
      );
      if (created) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // A new namespace reaches every service's cache within ~10 s; calls before that fail with NotFound.
    for (let i = 0; ; i++) {
      const ok = await run(opts.cliPath, [
        'workflow',
        'list',
        '--namespace',
        namespace,
        '--address',
        address,
        '--limit',
        '1',
      ]).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (i >= 60) throw new Error(`namespace ${namespace} not usable after 30 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    opts.log(`Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL 15 at ${address} (namespace ${namespace})`);
    return { address, pids: { postgres: pg.pid }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
