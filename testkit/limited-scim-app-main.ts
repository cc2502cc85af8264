// testkit/limited-scim-app-main.ts: runs the limited SCIM app as its own process, for the benchmark.
import { parseArgs } from 'node:util';
import { startLimitedScimApp } from './limited-scim-app';

const USAGE =
  'usage: node --require tsx/cjs testkit/limited-scim-app-main.ts [--port N] [--token T] [--groups] [--latency-ms N]\n' +
  '       [--no-filter] [--group-writes patch|put] [--no-discovery]';

function nonNegativeInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a non-negative integer, got "${raw}"\n${USAGE}`);
  return Number(raw);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      groups: { type: 'boolean', default: false },
      'latency-ms': { type: 'string' },
      'no-filter': { type: 'boolean', default: false },
      'group-writes': { type: 'string', default: 'patch' },
      'no-discovery': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const groupWrites = values['group-writes'];
  if (groupWrites !== 'patch' && groupWrites !== 'put')
    throw new Error(`--group-writes must be patch or put, got "${groupWrites}"\n${USAGE}`);
  const app = await startLimitedScimApp({
    dialect: { filter: !values['no-filter'], groupWrites, discovery: !values['no-discovery'] },
    port: nonNegativeInt('port', values.port),
    token: values.token,
    groups: values.groups,
    latencyMs: nonNegativeInt('latency-ms', values['latency-ms']),
  });
  // One line on stdout is the whole protocol with the parent: it waits for it, then parses it.
  process.stdout.write(`${JSON.stringify({ baseUrl: app.baseUrl, token: app.token, pid: process.pid })}\n`);
  const shutdown = () => {
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
